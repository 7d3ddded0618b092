/// An open RocksDB database: a persistent, sorted map from byte keys to byte values.
///
/// Keys are ordered byte-wise (unsigned, shorter prefix first). Single writes are atomic;
/// several writes become atomic together through a ``RocksWriteBatch``. Range and prefix
/// reads go through a ``RocksIterator`` or the ``scan(from:to:reverse:)`` conveniences.
///
/// ```swift
/// let db = try RocksDatabase(path: "/state/orders-0")
/// try db.put(Array("order-1".utf8), Array("created".utf8))
/// let value = try db.get(Array("order-1".utf8))          // "created" as bytes
/// for (key, value) in try db.scan(prefix: Array("order-".utf8)) { … }
/// db.close()
/// ```
///
/// A directory holds at most one open database: opening it again, from this process or
/// another, throws ``RocksDBError/Code/locked`` until the first one is closed.
///
/// - Important: Thread safety: the class is `@unchecked Sendable` because RocksDB's database
///   handle is safe to use from many threads at once and this class is its only owner. Every
///   call holds an internal lock shared; ``close()`` holds it exclusively, so it waits for calls
///   in flight, and every later call throws ``RocksDBError/Code/closed``.
/// - Important: Calls block the calling thread on disk I/O (opening, ``flush()`` and
///   ``checkpoint(to:)`` may take long); from async code, run them off the cooperative pool.
/// - Important: Iterators: each ``RocksIterator`` keeps its database object alive. If
///   ``close()`` is called while iterators are open, the database destroys their RocksDB
///   iterators first; using them afterwards throws ``RocksDBError/Code/closed``.
public final class RocksDatabase: @unchecked Sendable {
    /// The C objects of an open database; they all live until ``close()``.
    private struct OpenHandles {
        let db: RocksDBHandle
        let options: RocksDBOptionsHandle
        let readOptions: RocksDBReadOptionsHandle
        let writeOptions: RocksDBWriteOptionsHandle
        let flushOptions: RocksDBFlushOptionsHandle
    }

    /// The database directory, as given to ``init(path:options:)``.
    public let path: String

    /// The options the database was opened with.
    public let options: RocksOptions

    private let lock = ReadWriteLock()
    /// `nil` once closed. Read under `lock` shared, written under `lock` exclusive.
    private var handles: OpenHandles?
    /// The C iterators not yet destroyed, by identity. Read and written under `lock` exclusive.
    private var openIterators: [ObjectIdentifier: RocksDBIteratorHandle] = [:]

    /// Opens the database in `path`, creating it if missing and allowed by `options`.
    ///
    /// Before RocksDB opens the path it must be missing, an empty directory, or a directory
    /// holding a RocksDB database (a `CURRENT` file); a regular file or any other non-empty
    /// directory is refused, so a mistyped path never turns a foreign directory into a database.
    ///
    /// - Parameters:
    ///   - path: The database directory. Missing parent directories are created when
    ///     ``RocksOptions/createIfMissing`` is `true`.
    ///   - options: How to open and write the database.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/invalidArgument`` naming the option for an
    ///   invalid option value; ``RocksDBError/Code/locked`` if another process or another open
    ///   `RocksDatabase` holds the directory; ``RocksDBError/Code/notADatabase`` for a file or a
    ///   foreign non-empty directory; ``RocksDBError/Code/notFound`` if the database is missing and
    ///   may not be created; ``RocksDBError/Code/corruption`` or ``RocksDBError/Code/ioError`` from RocksDB.
    public init(path: String, options: RocksOptions = .init()) throws {
        try options.validate()
        let canonicalPath = try DatabaseDirectory.prepare(path: path, createIfMissing: options.createIfMissing)
        let nativeOptions = RocksDBOptionsHandle(options)
        let db = try RocksDBHandle(openingAt: canonicalPath, options: nativeOptions, displayPath: path)
        self.path = path
        self.options = options
        self.handles = OpenHandles(
            db: db,
            options: nativeOptions,
            readOptions: RocksDBReadOptionsHandle(),
            writeOptions: RocksDBWriteOptionsHandle(
                writeAheadLog: options.writeAheadLog,
                syncWrites: options.syncWrites
            ),
            flushOptions: RocksDBFlushOptionsHandle()
        )
    }

    deinit { close() }

    // MARK: - Lifecycle

    /// Whether ``close()`` was called.
    public var isClosed: Bool {
        lock.withReadLock { handles == nil }
    }

    /// Closes the database and releases its directory lock; later calls throw ``RocksDBError/Code/closed``.
    ///
    /// Waits for calls in flight on other threads, destroys the RocksDB iterators of any
    /// ``RocksIterator`` still open, then closes RocksDB. A clean close loses no write: RocksDB
    /// flushes writes made without the write-ahead log, and the log holds the others. (A crash
    /// does lose unflushed writes made without the log.) Idempotent; `deinit` calls it.
    public func close() {
        lock.withWriteLock {
            guard let open = handles else { return }
            handles = nil
            for iterator in openIterators.values { iterator.destroy() }
            openIterators.removeAll()
            open.db.close()
        }
    }

    // MARK: - Point operations

    /// Returns the value stored under `key`, or `nil` if there is none.
    ///
    /// - Parameter key: The key; any bytes.
    /// - Returns: A copy of the value.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's read error.
    /// - Complexity: O(log n), plus disk reads on a block-cache miss.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        try withOpenHandles { try $0.db.get(key, readOptions: $0.readOptions) }
    }

    /// Writes `value` under `key`, replacing any previous value.
    ///
    /// - Parameters:
    ///   - key: The key; any bytes.
    ///   - value: The value; any bytes, possibly empty.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's write error.
    /// - Complexity: O(log m) in the memtable size m; durable per ``RocksOptions/writeAheadLog``.
    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        try withOpenHandles { try $0.db.put(key, value, writeOptions: $0.writeOptions) }
    }

    /// Deletes `key`; deleting a missing key is not an error.
    ///
    /// - Parameter key: The key to delete.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's write error.
    /// - Complexity: O(log m) in the memtable size m (RocksDB writes a tombstone).
    public func delete(_ key: [UInt8]) throws {
        try withOpenHandles { try $0.db.delete(key, writeOptions: $0.writeOptions) }
    }

    /// Applies every operation of `batch` atomically: after a crash either all are visible or none.
    ///
    /// The batch is left unchanged and may be cleared and reused.
    ///
    /// - Parameter batch: The operations to apply, in order.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's write error
    ///   (in which case nothing of the batch was applied).
    /// - Complexity: O(b log m) for b operations and memtable size m; one write-ahead-log append.
    public func write(_ batch: RocksWriteBatch) throws {
        try withOpenHandles { open in
            try batch.withBatchPointer { try open.db.write($0, writeOptions: open.writeOptions) }
        }
    }

    // MARK: - Iteration

    /// Creates an iterator over the keys in `[lowerBound, upperBound)`, compared byte-wise.
    ///
    /// - Parameters:
    ///   - lowerBound: The smallest key included; `nil` for no lower bound.
    ///   - upperBound: The first key excluded; `nil` for no upper bound.
    ///   - reverse: Whether to iterate from the greatest key down.
    /// - Returns: An iterator over a snapshot of the database taken now.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` after ``close()``.
    /// - Complexity: O(1) to create; see ``RocksIterator/next()``.
    public func makeIterator(
        from lowerBound: [UInt8]? = nil,
        to upperBound: [UInt8]? = nil,
        reverse: Bool = false
    ) throws -> RocksIterator {
        let readOptions = RocksDBReadOptionsHandle(lowerBound: lowerBound, upperBound: upperBound)
        let handle = try lock.withWriteLock {
            guard let open = handles else { throw closedError() }
            let handle = open.db.makeIterator(readOptions: readOptions)
            openIterators[ObjectIdentifier(handle)] = handle
            return handle
        }
        return RocksIterator(database: self, handle: handle, reverse: reverse)
    }

    /// Creates an iterator over the keys that start with `prefix`.
    ///
    /// The range is `[prefix, successor(prefix))`, where the successor increments the last byte
    /// that is not `0xFF` and drops the bytes after it; a prefix of only `0xFF` bytes (or an empty
    /// one) has no upper bound.
    ///
    /// - Parameters:
    ///   - prefix: The bytes every returned key starts with.
    ///   - reverse: Whether to iterate from the greatest key down.
    /// - Returns: An iterator over a snapshot of the database taken now.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` after ``close()``.
    /// - Complexity: O(p) to create for a prefix of p bytes; see ``RocksIterator/next()``.
    public func makeIterator(prefix: [UInt8], reverse: Bool = false) throws -> RocksIterator {
        try makeIterator(
            from: prefix.isEmpty ? nil : prefix,
            to: Self.prefixSuccessor(prefix),
            reverse: reverse
        )
    }

    /// Returns every entry with a key in `[lowerBound, upperBound)`, compared byte-wise.
    ///
    /// - Parameters:
    ///   - lowerBound: The smallest key included; `nil` for no lower bound.
    ///   - upperBound: The first key excluded; `nil` for no upper bound.
    ///   - reverse: Whether to return the entries in descending key order.
    /// - Returns: Copies of the entries, in ascending key order unless `reverse`.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's read error.
    /// - Complexity: O(log n + r) for r entries returned; holds them all in memory.
    public func scan(
        from lowerBound: [UInt8]? = nil,
        to upperBound: [UInt8]? = nil,
        reverse: Bool = false
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        try Self.drain(makeIterator(from: lowerBound, to: upperBound, reverse: reverse))
    }

    /// Returns every entry whose key starts with `prefix`.
    ///
    /// - Parameters:
    ///   - prefix: The bytes every returned key starts with.
    ///   - reverse: Whether to return the entries in descending key order.
    /// - Returns: Copies of the entries, in ascending key order unless `reverse`.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's read error.
    /// - Complexity: O(log n + r) for r entries returned; holds them all in memory.
    public func scan(prefix: [UInt8], reverse: Bool = false) throws -> [(key: [UInt8], value: [UInt8])] {
        try Self.drain(makeIterator(prefix: prefix, reverse: reverse))
    }

    // MARK: - Maintenance

    /// Returns RocksDB's estimate of the number of keys (property `rocksdb.estimate-num-keys`).
    ///
    /// The estimate counts overwrites and deletions loosely until compaction; use it for
    /// sizing and metrics, never for logic.
    ///
    /// - Returns: The estimate, `0` for an empty database.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` after ``close()``.
    /// - Complexity: O(1)
    public func approximateCount() throws -> Int {
        try withOpenHandles { open in
            guard let value = open.db.integerProperty("rocksdb.estimate-num-keys") else {
                throw RocksDBError(.unknown, "RocksDB does not know the property rocksdb.estimate-num-keys")
            }
            return Int(clamping: value)
        }
    }

    /// Writes the memtable to an SST file and waits until it is done.
    ///
    /// After a flush the data no longer depends on the write-ahead log.
    ///
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``, or RocksDB's I/O error.
    /// - Complexity: O(m) in the memtable size m; blocks on disk I/O.
    public func flush() throws {
        try withOpenHandles { try $0.db.flush(flushOptions: $0.flushOptions) }
    }

    /// Writes a consistent, openable copy of the database into `directory`.
    ///
    /// The memtable is flushed first, so the checkpoint holds every write made before the call.
    /// SST files are hard-linked when `directory` is on the same file system (cheap), copied
    /// otherwise. Open the checkpoint with ``init(path:options:)`` like any database.
    ///
    /// - Parameter directory: Where to write; it must not exist, its parent must.
    /// - Throws: ``RocksDBError``: ``RocksDBError/Code/closed`` after ``close()``; RocksDB's
    ///   ``RocksDBError/Code/invalidArgument`` if `directory` exists; ``RocksDBError/Code/ioError``.
    /// - Complexity: O(m + f) for memtable size m and f files; blocks on disk I/O.
    public func checkpoint(to directory: String) throws {
        try withOpenHandles { try $0.db.checkpoint(to: directory) }
    }

    // MARK: - Internals

    /// Runs `body` with the open C objects, holding the lock shared.
    private func withOpenHandles<T>(_ body: (OpenHandles) throws -> T) throws -> T {
        try lock.withReadLock {
            guard let open = handles else { throw closedError() }
            return try body(open)
        }
    }

    /// Runs `body` with the C iterator of `handle`, holding the lock shared.
    ///
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/closed`` if the database or the iterator was closed.
    func withIterator<T>(_ handle: RocksDBIteratorHandle, _ body: (RocksDBIteratorHandle) throws -> T) throws -> T {
        try lock.withReadLock {
            guard handles != nil else { throw closedError() }
            guard !handle.isDestroyed else {
                throw RocksDBError(.closed, "the iterator over '\(path)' is closed")
            }
            return try body(handle)
        }
    }

    /// Destroys the C iterator of `handle` unless ``close()`` already did.
    func releaseIterator(_ handle: RocksDBIteratorHandle) {
        lock.withWriteLock {
            guard openIterators.removeValue(forKey: ObjectIdentifier(handle)) != nil else { return }
            handle.destroy()
        }
    }

    private static func drain(_ iterator: RocksIterator) throws -> [(key: [UInt8], value: [UInt8])] {
        defer { iterator.close() }
        var entries: [(key: [UInt8], value: [UInt8])] = []
        while let entry = try iterator.next() {
            entries.append(entry)
        }
        return entries
    }

    private func closedError() -> RocksDBError {
        RocksDBError(.closed, "the database at '\(path)' is closed")
    }

    /// The smallest key greater than every key starting with `prefix`, or `nil` if there is none.
    static func prefixSuccessor(_ prefix: [UInt8]) -> [UInt8]? {
        guard let last = prefix.lastIndex(where: { $0 != 0xFF }) else { return nil }
        var successor = Array(prefix[...last])
        successor[last] += 1
        return successor
    }
}
