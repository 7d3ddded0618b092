internal import CRocksDB

/// Owns the `rocksdb_flushoptions_t` a database flushes with (waiting for the flush to finish).
final class RocksDBFlushOptionsHandle {
    /// The flush options; valid while this object lives. Do not escape it.
    let pointer: OpaquePointer

    /// Creates flush options that make `rocksdb_flush` wait for completion.
    init() {
        pointer = rocksdb_flushoptions_create()
        rocksdb_flushoptions_set_wait(pointer, 1)
    }

    deinit { rocksdb_flushoptions_destroy(pointer) }
}
