/// An error raised by the Flowstate engine while running a topology.
///
/// The codes follow Kafka Streams' recovery classes: ``Code/taskMigrated`` (another instance
/// owns the work now: close the tasks without committing and rejoin), ``Code/taskCorrupted``
/// (a task's local state cannot be trusted: wipe it and restore from the changelog),
/// ``Code/fatal`` (stop the application). ``Code/serialization`` and
/// ``Code/deserialization`` come from serdes, ``Code/processing`` from user processors,
/// ``Code/configuration`` from bad settings detected at start-up. ``Code/undecodableStoredValue``
/// (a state store holds a value its serde cannot read, typically written by an incompatible
/// earlier version of the value's type) stops the stream thread like ``Code/fatal``: it is never
/// a per-record error, so no input record is dead-lettered for it.
public struct FlowstateError: Error, Sendable, CustomStringConvertible {
    /// The kind of a ``FlowstateError``; new kinds may be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case configuration, serialization, deserialization, processing
            case taskMigrated, taskCorrupted, storeClosed, undecodableStoredValue, fatal
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A setting is missing or invalid.
        public static let configuration = Code(.configuration)
        /// A value could not be encoded.
        public static let serialization = Code(.serialization)
        /// Bytes could not be decoded into a value.
        public static let deserialization = Code(.deserialization)
        /// A processor threw while processing a record.
        public static let processing = Code(.processing)
        /// The task's partitions moved to another instance (e.g. this one was fenced).
        public static let taskMigrated = Code(.taskMigrated)
        /// The task's local state is inconsistent with its changelog.
        public static let taskCorrupted = Code(.taskCorrupted)
        /// A state store was used after it was closed.
        public static let storeClosed = Code(.storeClosed)
        /// A value in a state store cannot be decoded by the store's value serde (the message
        /// names the store, the key, the type and the field): the stream thread stops, because
        /// every record touching that key would fail the same way. See `docs/upgrades.md`.
        public static let undecodableStoredValue = Code(.undecodableStoredValue)
        /// The application cannot continue.
        public static let fatal = Code(.fatal)

        /// The code's name, e.g. `taskCorrupted`.
        public var description: String { kind.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// What went wrong and, where known, how to remedy it.
    public let message: String
    /// The setting at fault, for ``Code/configuration`` errors (a flag or property name).
    public let setting: String?
    /// The underlying error, if any (e.g. a ``KafkaError`` or a `DecodingError`).
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of error.
    ///   - message: What went wrong.
    ///   - setting: The setting at fault, for configuration errors.
    ///   - underlying: The error that caused this one.
    public init(_ code: Code, _ message: String, setting: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.setting = setting
        self.underlying = underlying
    }

    /// A one-line description: code, setting and message.
    public var description: String {
        var text = "FlowstateError.\(code)"
        if let setting { text += " [\(setting)]" }
        text += ": " + message
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
