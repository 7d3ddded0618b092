/// One step of a saga: a query (no compensation) or a command (do + undo), with its topic.
///
/// The step's topic key is a positive integer (1, 2, 3…) naming its primary topic
/// `saga.do.<suffix>`; its compensation has the negative key (−1, −2…) and topic
/// `saga.undo.<suffix>`. Decimal keys are reserved (for sub-executions) and rejected.
public struct SagaStep: Sendable, Hashable {
    /// Whether the step can be undone.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Reads only; nothing to compensate.
        case query
        /// Changes state elsewhere; compensated by its undo endpoint.
        case command
    }

    /// The topic key of the primary execution (positive).
    public let key: Int
    /// The topic suffix: `payment-service.make-payment`.
    public let topicSuffix: String
    /// Query or command.
    public let kind: Kind
    /// How long the orchestrator waits for the reply to one execution of the step (or of its
    /// compensation) before it treats the execution as failed retryably: a deferred retry,
    /// then compensation (or, for an undo, compensation-failed) when the retries are spent.
    /// `nil`: it waits as long as it takes.
    public let replyTimeout: Duration?

    /// A query step.
    ///
    /// - Parameter replyTimeout: See ``replyTimeout``.
    /// - Throws: ``SagaDefinitionError`` for a bad suffix, key or timeout.
    public static func query(_ topicSuffix: String, key: Double, replyTimeout: Duration? = nil) throws(SagaDefinitionError)
        -> SagaStep {
        try SagaStep(topicSuffix: topicSuffix, key: key, kind: .query, replyTimeout: replyTimeout)
    }

    /// A command step (with compensation).
    ///
    /// - Parameter replyTimeout: See ``replyTimeout``.
    /// - Throws: ``SagaDefinitionError`` for a bad suffix, key or timeout.
    public static func command(_ topicSuffix: String, key: Double, replyTimeout: Duration? = nil) throws(SagaDefinitionError)
        -> SagaStep {
        try SagaStep(topicSuffix: topicSuffix, key: key, kind: .command, replyTimeout: replyTimeout)
    }

    init(topicSuffix: String, key: Double, kind: Kind, replyTimeout: Duration? = nil) throws(SagaDefinitionError) {
        if let replyTimeout, replyTimeout <= .zero {
            throw SagaDefinitionError("reply timeout of \(topicSuffix) must be positive (got \(replyTimeout))")
        }
        self.replyTimeout = replyTimeout
        try TopicNames.validate(topicSuffix, what: "topic suffix")
        guard key.rounded() == key else {
            throw SagaDefinitionError("topic key \(key) of \(topicSuffix): decimal keys are reserved for sub-executions; use whole numbers")
        }
        guard key >= 1, key <= 1_000_000 else {
            throw SagaDefinitionError("topic key \(key) of \(topicSuffix): primary keys are positive (1, 2, 3…); compensation keys (−1, −2…) follow from them")
        }
        self.key = Int(key)
        self.topicSuffix = topicSuffix
        self.kind = kind
    }

    /// The primary topic: `saga.do.<suffix>`.
    public var doTopic: String { "saga.do.\(topicSuffix)" }
    /// The compensation topic: `saga.undo.<suffix>` (command steps only).
    public var undoTopic: String { "saga.undo.\(topicSuffix)" }
    /// The compensation's topic key: the negative of ``key``.
    public var compensationKey: Int { -key }
}
