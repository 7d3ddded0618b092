internal import CRocksDB

/// Owns the `rocksdb_options_t` a database is opened with, and its table options and block cache.
///
/// RocksDB copies the options when it opens a database and shares the cache through a
/// reference count, so this object may be released at any time after the open; the
/// database keeps it for its lifetime anyway.
final class RocksDBOptionsHandle {
    /// The options; valid while this object lives. Do not escape it.
    let pointer: OpaquePointer
    private let tableOptions: OpaquePointer
    private let cache: OpaquePointer?

    /// Translates validated ``RocksOptions`` into RocksDB's C options.
    ///
    /// - Precondition: `options.validate()` succeeded.
    init(_ options: RocksOptions) {
        pointer = rocksdb_options_create()
        rocksdb_options_set_create_if_missing(pointer, options.createIfMissing ? 1 : 0)
        rocksdb_options_set_compression(pointer, options.compression.rocksValue)
        rocksdb_options_set_max_open_files(pointer, Int32(options.maxOpenFiles))
        if let writeBufferSize = options.writeBufferSize {
            rocksdb_options_set_write_buffer_size(pointer, writeBufferSize)
        }
        tableOptions = rocksdb_block_based_options_create()
        if options.blockCacheSize > 0 {
            let cache = rocksdb_cache_create_lru(options.blockCacheSize)
            rocksdb_block_based_options_set_block_cache(tableOptions, cache)
            self.cache = cache
        } else {
            rocksdb_block_based_options_set_no_block_cache(tableOptions, 1)
            self.cache = nil
        }
        rocksdb_options_set_block_based_table_factory(pointer, tableOptions)
    }

    deinit {
        rocksdb_options_destroy(pointer)
        rocksdb_block_based_options_destroy(tableOptions)
        if let cache { rocksdb_cache_destroy(cache) }
    }
}
