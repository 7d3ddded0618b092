internal import CRocksDB

/// Owns an open `rocksdb_t` and performs the C calls on it.
///
/// RocksDB's database handle is safe to use from several threads at once. Closing it is not:
/// ``RocksDatabase`` calls ``close()`` only under its write lock, after destroying every
/// iterator and with no other call in flight.
final class RocksDBHandle {
    private let pointer: OpaquePointer
    private var isClosed = false

    /// Opens (or creates, per `options`) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: The canonical directory to open.
    ///   - options: The C options to open with.
    ///   - displayPath: The path as the user gave it, for error messages.
    /// - Throws: ``RocksDBError`` with RocksDB's message, e.g. ``RocksDBError/Code/locked``.
    init(openingAt path: String, options: RocksDBOptionsHandle, displayPath: String) throws {
        let pointer = try withRocksErrorPointer(context: "cannot open RocksDB database at '\(displayPath)'") {
            rocksdb_open(options.pointer, path, $0)
        }
        guard let pointer else {
            throw RocksDBError(.unknown, "cannot open RocksDB database at '\(displayPath)': rocksdb_open returned no handle")
        }
        self.pointer = pointer
    }

    /// Closes the database; later calls do nothing.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        rocksdb_close(pointer)
    }

    deinit { close() }

    // MARK: - Operations (only while open)

    /// Reads the value of `key`, copying it out of a pinned slice.
    func get(_ key: [UInt8], readOptions: RocksDBReadOptionsHandle) throws -> [UInt8]? {
        assert(!isClosed)
        let slice = try key.withCChars { keyBytes, keyCount in
            try withRocksErrorPointer(context: "get failed") {
                rocksdb_get_pinned(pointer, readOptions.pointer, keyBytes, keyCount, $0)
            }
        }
        guard let slice else { return nil }
        defer { rocksdb_pinnableslice_destroy(slice) }
        var valueCount = 0
        let value = rocksdb_pinnableslice_value(slice, &valueCount)
        return [UInt8](copyingCChars: value, count: valueCount)
    }

    /// Writes `value` under `key`.
    func put(_ key: [UInt8], _ value: [UInt8], writeOptions: RocksDBWriteOptionsHandle) throws {
        assert(!isClosed)
        try key.withCChars { keyBytes, keyCount in
            try value.withCChars { valueBytes, valueCount in
                try withRocksErrorPointer(context: "put failed") {
                    rocksdb_put(pointer, writeOptions.pointer, keyBytes, keyCount, valueBytes, valueCount, $0)
                }
            }
        }
    }

    /// Deletes `key`.
    func delete(_ key: [UInt8], writeOptions: RocksDBWriteOptionsHandle) throws {
        assert(!isClosed)
        try key.withCChars { keyBytes, keyCount in
            try withRocksErrorPointer(context: "delete failed") {
                rocksdb_delete(pointer, writeOptions.pointer, keyBytes, keyCount, $0)
            }
        }
    }

    /// Applies the write batch `batch` atomically.
    func write(_ batch: OpaquePointer, writeOptions: RocksDBWriteOptionsHandle) throws {
        assert(!isClosed)
        try withRocksErrorPointer(context: "write of batch failed") {
            rocksdb_write(pointer, writeOptions.pointer, batch, $0)
        }
    }

    /// Creates a C iterator bounded by `readOptions`.
    func makeIterator(readOptions: RocksDBReadOptionsHandle) -> RocksDBIteratorHandle {
        assert(!isClosed)
        return RocksDBIteratorHandle(db: pointer, readOptions: readOptions)
    }

    /// Reads an integer property such as `rocksdb.estimate-num-keys`; `nil` if unknown.
    func integerProperty(_ name: String) -> UInt64? {
        assert(!isClosed)
        var value: UInt64 = 0
        return rocksdb_property_int(pointer, name, &value) == 0 ? value : nil
    }

    /// Flushes the memtable to an SST file and waits for it.
    func flush(flushOptions: RocksDBFlushOptionsHandle) throws {
        assert(!isClosed)
        try withRocksErrorPointer(context: "flush failed") {
            rocksdb_flush(pointer, flushOptions.pointer, $0)
        }
    }

    /// Writes a checkpoint of the database into `directory`, which must not exist.
    func checkpoint(to directory: String) throws {
        assert(!isClosed)
        let checkpoint = try RocksDBCheckpointHandle(db: pointer)
        try checkpoint.create(at: directory)
    }
}
