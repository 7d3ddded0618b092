/// How a ``RocksDatabase`` is opened and written.
///
/// Every property has a default suited to a Flowstate state store; change only what you
/// need. The values are checked when a database opens, and an invalid one throws a
/// ``RocksDBError`` with code ``RocksDBError/Code/invalidArgument`` whose
/// ``RocksDBError/option`` names the property.
///
/// ```swift
/// var options = RocksOptions()
/// options.writeAheadLog = false          // the changelog topic is the source of truth
/// options.blockCacheSize = 64 << 20
/// let store = try RocksDatabase(path: "/state/orders-0", options: options)
/// ```
public struct RocksOptions: Sendable {
    /// Whether opening a path with no database creates one (and any missing parent directories).
    ///
    /// Default: `true`
    public var createIfMissing: Bool = true

    /// The compression applied to the database's SST files.
    ///
    /// Default: ``Compression/lz4``
    public var compression: Compression = .lz4

    /// The capacity in bytes of the LRU cache of uncompressed blocks; `0` disables the cache.
    ///
    /// Default: `8 MiB` (`8 * 1024 * 1024`)
    public var blockCacheSize: Int = 8 * 1024 * 1024

    /// Whether writes go to RocksDB's write-ahead log before the memtable.
    ///
    /// Turn it off when something else (a changelog topic, a checkpointed batch) can
    /// restore writes lost in a crash: writes then cost about a third. Applied per write.
    ///
    /// Default: `true`
    public var writeAheadLog: Bool = true

    /// Whether every write waits for the write-ahead log to be synced to disk (`fsync`).
    ///
    /// Requires ``writeAheadLog``. Without it, a machine crash (not a process crash) may lose
    /// the last writes.
    ///
    /// Default: `false`
    public var syncWrites: Bool = false

    /// The maximum number of SST files RocksDB keeps open; `-1` keeps all of them open.
    ///
    /// Must be `-1` or positive.
    ///
    /// Default: `-1`
    public var maxOpenFiles: Int = -1

    /// The size in bytes of a memtable before it is flushed to an SST file; `nil` keeps RocksDB's default (64 MiB).
    ///
    /// Must be positive when set.
    ///
    /// Default: `nil`
    public var writeBufferSize: Int? = nil

    /// Creates options with every property at its default.
    public init() {}

    /// Checks every property, naming the first invalid one.
    ///
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/invalidArgument`` and ``RocksDBError/option`` set.
    func validate() throws {
        if blockCacheSize < 0 {
            throw invalid("blockCacheSize", "must be 0 or more bytes, got \(blockCacheSize)")
        }
        if maxOpenFiles != -1 && !(1...Int(Int32.max)).contains(maxOpenFiles) {
            throw invalid("maxOpenFiles", "must be -1 (unlimited) or between 1 and \(Int32.max), got \(maxOpenFiles)")
        }
        if let writeBufferSize, writeBufferSize <= 0 {
            throw invalid("writeBufferSize", "must be a positive number of bytes or nil, got \(writeBufferSize)")
        }
        if syncWrites && !writeAheadLog {
            throw invalid("syncWrites", "requires writeAheadLog to be true")
        }
    }

    private func invalid(_ option: String, _ reason: String) -> RocksDBError {
        RocksDBError(.invalidArgument, "invalid RocksOptions.\(option): \(reason)", option: option)
    }
}
