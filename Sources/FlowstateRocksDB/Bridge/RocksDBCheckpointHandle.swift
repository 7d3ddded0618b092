internal import CRocksDB

/// Owns a `rocksdb_checkpoint_t` for the duration of one checkpoint.
///
/// - Important: The checkpoint object refers to its database; it must be released before the
///   database closes, so create it only inside a call that holds the database open.
final class RocksDBCheckpointHandle {
    private let pointer: OpaquePointer

    /// Creates a checkpoint object for the open database `db`.
    ///
    /// - Throws: ``RocksDBError`` if RocksDB cannot create it.
    init(db: OpaquePointer) throws {
        let pointer = try withRocksErrorPointer(context: "cannot create checkpoint object") {
            rocksdb_checkpoint_object_create(db, $0)
        }
        guard let pointer else {
            throw RocksDBError(.unknown, "rocksdb_checkpoint_object_create returned no object")
        }
        self.pointer = pointer
    }

    /// Writes a checkpoint (hard-linked SST files plus a copy of the manifest) into `directory`.
    ///
    /// The memtable is always flushed first, so the checkpoint holds every write made before
    /// the call even when the write-ahead log is disabled.
    ///
    /// - Throws: ``RocksDBError`` if `directory` exists or cannot be written.
    func create(at directory: String) throws {
        try withRocksErrorPointer(context: "cannot create checkpoint at '\(directory)'") {
            rocksdb_checkpoint_create(pointer, directory, 0, $0)
        }
    }

    deinit { rocksdb_checkpoint_object_destroy(pointer) }
}
