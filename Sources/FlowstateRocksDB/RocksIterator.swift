/// A cursor over a key range of a ``RocksDatabase``, in byte-wise key order or its reverse.
///
/// Create one with ``RocksDatabase/makeIterator(from:to:reverse:)`` or
/// ``RocksDatabase/makeIterator(prefix:reverse:)``, then call ``next()`` until it returns
/// `nil`. The iterator reads a consistent snapshot of the database taken when it was
/// created: later writes are not visible to it.
///
/// ```swift
/// let iterator = try db.makeIterator(prefix: Array("order-".utf8))
/// while let (key, value) = try iterator.next() {
///     print(key, value)
/// }
/// ```
///
/// - Important: An iterator is not thread-safe: one owner uses it. It keeps its database
///   object alive; if the database is closed explicitly, the database destroys the iterator's
///   RocksDB resources first and every later call here throws ``RocksDBError/Code/closed``.
///   An open iterator pins memtables and SST files, so ``close()`` (or drop) it when done.
public final class RocksIterator {
    private enum Position {
        /// Not positioned yet: the first `next()` seeks to the first (or last) entry.
        case start
        /// Positioned by a seek on the entry the next `next()` returns.
        case pending
        /// Positioned on the entry the last `next()` returned.
        case returned
        /// Past the end of the range.
        case exhausted
    }

    private let database: RocksDatabase
    private let handle: RocksDBIteratorHandle
    private var position = Position.start

    /// Whether the iterator runs from the greatest key down to the smallest.
    public let isReverse: Bool

    init(database: RocksDatabase, handle: RocksDBIteratorHandle, reverse: Bool) {
        self.database = database
        self.handle = handle
        self.isReverse = reverse
    }

    deinit { database.releaseIterator(handle) }

    /// Returns the next entry in iteration order, or `nil` once the range is exhausted.
    ///
    /// - Returns: A copy of the key and the value.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` after ``close()`` or the
    ///   database's close, or RocksDB's error if reading failed (e.g. ``RocksDBError/Code/corruption``).
    /// - Complexity: Amortised O(1) per entry; O(log n) for the first.
    public func next() throws -> (key: [UInt8], value: [UInt8])? {
        try database.withIterator(handle) { iterator in
            switch position {
            case .exhausted:
                return nil
            case .start:
                if isReverse { iterator.seekToLast() } else { iterator.seekToFirst() }
            case .pending:
                break
            case .returned:
                if isReverse { iterator.previous() } else { iterator.next() }
            }
            guard let entry = try iterator.currentEntry() else {
                position = .exhausted
                return nil
            }
            position = .returned
            return entry
        }
    }

    /// Repositions the iterator so that ``next()`` returns the first entry at or after `key`
    /// (at or before `key` when ``isReverse``), staying within the iterator's bounds.
    ///
    /// - Parameter key: Where to continue; keys outside the bounds are clamped to them.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` if the iterator or database was closed.
    /// - Complexity: O(log n)
    public func seek(to key: [UInt8]) throws {
        try database.withIterator(handle) { iterator in
            if isReverse { iterator.seekForPrev(key) } else { iterator.seek(key) }
            position = .pending
        }
    }

    /// Releases the iterator's RocksDB resources now; later calls throw ``RocksDBError/Code/closed``.
    ///
    /// Idempotent; dropping the last reference does the same.
    public func close() {
        database.releaseIterator(handle)
    }
}

/// An iterator has one owner; it must not cross concurrency domains.
@available(*, unavailable)
extension RocksIterator: Sendable {}
