extension RocksDatabase {
    /// Returns the value stored under the UTF-8 bytes of `key`, decoded as UTF-8, or `nil` if there is none.
    ///
    /// Invalid UTF-8 in the stored value is replaced with U+FFFD; use the `[UInt8]` overload for raw bytes.
    ///
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's read error.
    /// - Complexity: O(log n)
    public func get(_ key: String) throws -> String? {
        try get(Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes the UTF-8 bytes of `value` under the UTF-8 bytes of `key`.
    ///
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's write error.
    /// - Complexity: O(log m) in the memtable size m.
    public func put(_ key: String, _ value: String) throws {
        try put(Array(key.utf8), Array(value.utf8))
    }

    /// Deletes the UTF-8 bytes of `key`; deleting a missing key is not an error.
    ///
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's write error.
    /// - Complexity: O(log m) in the memtable size m.
    public func delete(_ key: String) throws {
        try delete(Array(key.utf8))
    }
}
