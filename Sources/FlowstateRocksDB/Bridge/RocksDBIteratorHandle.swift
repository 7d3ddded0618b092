internal import CRocksDB

/// Owns a `rocksdb_iterator_t` together with the read options (and bound buffers) it points into.
///
/// The C iterator must be destroyed before its database closes. ``RocksDatabase`` therefore
/// registers every handle it creates and destroys the C iterator either when the owning
/// ``RocksIterator`` goes away or when the database closes, whichever comes first, always
/// under the database's lock. The read options are released only in `deinit`, after the
/// C iterator is gone.
final class RocksDBIteratorHandle {
    /// The C iterator, or `nil` once destroyed.
    private var pointer: OpaquePointer?
    private let readOptions: RocksDBReadOptionsHandle

    /// Creates an iterator over the open database `db`, bounded by `readOptions`.
    init(db: OpaquePointer, readOptions: RocksDBReadOptionsHandle) {
        self.readOptions = readOptions
        pointer = rocksdb_create_iterator(db, readOptions.pointer)
    }

    /// Whether the C iterator was destroyed.
    var isDestroyed: Bool { pointer == nil }

    /// Destroys the C iterator; later calls do nothing.
    func destroy() {
        if let pointer { rocksdb_iter_destroy(pointer) }
        pointer = nil
    }

    deinit {
        assert(pointer == nil, "RocksDBIteratorHandle released before its C iterator was destroyed")
        destroy()
    }

    // MARK: - Positioning (only while not destroyed)

    /// Positions at the first entry within the bounds.
    func seekToFirst() { rocksdb_iter_seek_to_first(live) }

    /// Positions at the last entry within the bounds.
    func seekToLast() { rocksdb_iter_seek_to_last(live) }

    /// Positions at the first entry at or after `key` (clamped to the lower bound).
    func seek(_ key: [UInt8]) { key.withCChars { rocksdb_iter_seek(live, $0, $1) } }

    /// Positions at the last entry at or before `key` (clamped below the upper bound).
    func seekForPrev(_ key: [UInt8]) { key.withCChars { rocksdb_iter_seek_for_prev(live, $0, $1) } }

    /// Moves to the next entry; only valid when positioned on an entry.
    func next() { rocksdb_iter_next(live) }

    /// Moves to the previous entry; only valid when positioned on an entry.
    func previous() { rocksdb_iter_prev(live) }

    /// Copies out the entry the iterator is positioned on, or returns `nil` past the end.
    ///
    /// - Throws: ``RocksDBError`` if the iterator stopped because of an error rather than the end of its range.
    func currentEntry() throws -> (key: [UInt8], value: [UInt8])? {
        let iterator = live
        guard rocksdb_iter_valid(iterator) != 0 else {
            try withRocksErrorPointer(context: "iteration failed") { rocksdb_iter_get_error(iterator, $0) }
            return nil
        }
        var keyCount = 0
        var valueCount = 0
        let key = rocksdb_iter_key(iterator, &keyCount)
        let value = rocksdb_iter_value(iterator, &valueCount)
        return ([UInt8](copyingCChars: key, count: keyCount), [UInt8](copyingCChars: value, count: valueCount))
    }

    private var live: OpaquePointer {
        guard let pointer else { preconditionFailure("RocksDB iterator used after it was destroyed") }
        return pointer
    }
}
