/// An error raised by a Flowstate Kafka client, carrying librdkafka's own message.
///
/// The ``code`` says what the engine should do about it: ``Code/fenced`` means another
/// producer with the same `transactional.id` took over (close as a zombie, do not commit),
/// ``Code/transactionAbortable`` means the open transaction must be aborted and its work
/// rewound, ``Code/fatal`` means the client is unusable. `isRetriable` says whether the
/// same call may simply be repeated.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of a ``KafkaError``; new kinds may be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case configuration, invalidArgument, fenced, transactionAbortable, fatal, timedOut
            case delivery, unsupported, closed, topicAlreadyExists, unknownTopic, broker
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A configuration property is unknown or has an invalid value.
        public static let configuration = Code(.configuration)
        /// An argument passed to a client call is invalid.
        public static let invalidArgument = Code(.invalidArgument)
        /// The producer was fenced by a newer instance with the same `transactional.id`.
        public static let fenced = Code(.fenced)
        /// The current transaction failed and must be aborted; the producer stays usable.
        public static let transactionAbortable = Code(.transactionAbortable)
        /// The client hit an unrecoverable error and must be closed.
        public static let fatal = Code(.fatal)
        /// The operation did not finish within its timeout.
        public static let timedOut = Code(.timedOut)
        /// A record could not be delivered.
        public static let delivery = Code(.delivery)
        /// The broker does not support the request.
        public static let unsupported = Code(.unsupported)
        /// The client was closed.
        public static let closed = Code(.closed)
        /// A topic to be created exists already.
        public static let topicAlreadyExists = Code(.topicAlreadyExists)
        /// The topic or partition does not exist.
        public static let unknownTopic = Code(.unknownTopic)
        /// Any other error reported by librdkafka or the broker.
        public static let broker = Code(.broker)

        /// The code's name, e.g. `fenced`.
        public var description: String { kind.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// librdkafka's message, or Flowstate's when the error did not come from librdkafka.
    public let message: String
    /// librdkafka's name of the error code (e.g. `PRODUCER_FENCED`), when there is one.
    public let rdKafkaErrorName: String?
    /// The configuration property at fault, for ``Code/configuration`` errors.
    public let property: String?
    /// Whether the client is unusable after this error.
    public let isFatal: Bool
    /// Whether repeating the same call may succeed.
    public let isRetriable: Bool

    /// Creates an error; Flowstate's modules use this for conditions they detect themselves.
    ///
    /// - Parameters:
    ///   - code: The kind of error.
    ///   - message: What went wrong and, where known, how to remedy it.
    ///   - property: The configuration property at fault, if any.
    public init(_ code: Code, _ message: String, property: String? = nil) {
        self.init(code: code, message: message, rdKafkaErrorName: nil, property: property,
                  isFatal: code == .fatal || code == .fenced, isRetriable: false)
    }

    init(code: Code, message: String, rdKafkaErrorName: String?, property: String?,
         isFatal: Bool, isRetriable: Bool) {
        self.code = code
        self.message = message
        self.rdKafkaErrorName = rdKafkaErrorName
        self.property = property
        self.isFatal = isFatal
        self.isRetriable = isRetriable
    }

    /// A one-line description: code, librdkafka name and message.
    public var description: String {
        var text = "KafkaError.\(code)"
        if let rdKafkaErrorName { text += " (\(rdKafkaErrorName))" }
        if let property { text += " [\(property)]" }
        return text + ": " + message
    }
}
