/// An error raised by ``FlowstateRocksDB``, carrying RocksDB's own message.
///
/// The ``code`` says what kind of failure it is, so callers can react without parsing
/// text: ``Code/locked`` means another process (or another open ``RocksDatabase`` in this
/// process) holds the database directory, ``Code/corruption`` means on-disk data failed a
/// checksum or is inconsistent, ``Code/closed`` means the database was closed before the
/// call. ``message`` is for people: RocksDB's text, prefixed with what Flowstate was doing.
///
/// ```swift
/// do {
///     let db = try RocksDatabase(path: stateDirectory)
/// } catch let error as RocksDBError where error.code == .locked {
///     // another pod still owns this state directory
/// }
/// ```
public struct RocksDBError: Error, Sendable, CustomStringConvertible {
    /// The kind of a ``RocksDBError``; new kinds may be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case ioError, corruption, invalidArgument, notFound, locked, notADatabase, closed, unknown
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The file system failed a read, a write or a sync (RocksDB's `IO error`).
        public static let ioError = Code(.ioError)
        /// Data on disk is corrupt or inconsistent (RocksDB's `Corruption`).
        public static let corruption = Code(.corruption)
        /// An option or argument is invalid (RocksDB's `Invalid argument`, or an invalid ``RocksOptions`` value).
        public static let invalidArgument = Code(.invalidArgument)
        /// Something that must exist does not, e.g. a database opened with `createIfMissing == false`.
        public static let notFound = Code(.notFound)
        /// The database directory is locked by another process or by another open handle in this process.
        public static let locked = Code(.locked)
        /// The path is a regular file, or a non-empty directory that holds no RocksDB database.
        public static let notADatabase = Code(.notADatabase)
        /// The ``RocksDatabase`` or ``RocksIterator`` was closed before the call.
        public static let closed = Code(.closed)
        /// Any other error reported by RocksDB.
        public static let unknown = Code(.unknown)

        /// The code's name, e.g. `locked`.
        public var description: String { kind.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// What went wrong: RocksDB's own text where the error came from RocksDB, prefixed with context.
    public let message: String
    /// The ``RocksOptions`` property at fault, for invalid option values.
    public let option: String?

    /// Creates an error; Flowstate's modules use this for conditions they detect themselves.
    ///
    /// - Parameters:
    ///   - code: The kind of error.
    ///   - message: What went wrong and, where known, how to remedy it.
    ///   - option: The ``RocksOptions`` property at fault, if any.
    public init(_ code: Code, _ message: String, option: String? = nil) {
        self.code = code
        self.message = message
        self.option = option
    }

    /// A one-line description: code, option at fault and message.
    public var description: String {
        var text = "RocksDBError.\(code)"
        if let option { text += " [\(option)]" }
        return text + ": " + message
    }
}
