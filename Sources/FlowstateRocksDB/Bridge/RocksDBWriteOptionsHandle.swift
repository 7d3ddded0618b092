internal import CRocksDB

/// Owns the `rocksdb_writeoptions_t` every write of a database uses.
final class RocksDBWriteOptionsHandle {
    /// The write options; valid while this object lives. Do not escape it.
    let pointer: OpaquePointer

    /// Creates write options with the write-ahead log on or off and synced writes on or off.
    init(writeAheadLog: Bool, syncWrites: Bool) {
        pointer = rocksdb_writeoptions_create()
        rocksdb_writeoptions_disable_WAL(pointer, writeAheadLog ? 0 : 1)
        rocksdb_writeoptions_set_sync(pointer, syncWrites ? 1 : 0)
    }

    deinit { rocksdb_writeoptions_destroy(pointer) }
}
