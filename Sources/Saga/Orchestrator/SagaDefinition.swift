/// A saga: its steps in order, retry policies, and the orchestrator-side hooks.
///
/// ```swift
/// let placeOrder = try SagaDefinition(name: "place-order", steps: [
///     .query("user-service.validate-user", key: 1),
///     .command("payment-service.make-payment", key: 2),
///     .command("inventory-service.reserve-items", key: 3),
/// ])
/// ```
public struct SagaDefinition: Sendable {
    /// Runs after each successful primary step; may update the entity, or throw to force
    /// compensation (as a non-retryable failure with no context).
    public typealias OnNext = @Sendable (_ step: SagaStep, _ entity: inout JSONObject) throws -> Void
    /// Runs after each successful compensation step; may update the hints, or throw to
    /// terminate compensation (compensation failed, not retried).
    public typealias OnNextRevert = @Sendable (_ step: SagaStep, _ entity: JSONObject, _ hints: inout JSONObject) throws -> Void

    /// The saga's name: `saga.start.<name>`, `saga.reply.<name>`, its stores.
    public let name: String
    /// The steps, in execution order.
    public let steps: [SagaStep]
    /// Deferred retries of primary steps.
    public var retry: SagaRetryPolicy
    /// Deferred retries of compensation steps; when exhausted the saga ends in compensation failed.
    public var compensationRetry: SagaRetryPolicy
    /// How often due retries are looked for.
    public var retryCheckInterval: Duration
    /// The hook after each successful primary step.
    public var onNext: OnNext?
    /// The hook after each successful compensation step.
    public var onNextRevert: OnNextRevert?

    /// Creates a saga.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad name, no steps, or duplicate topic keys or suffixes.
    public init(name: String, steps: [SagaStep], retry: SagaRetryPolicy = .primaryDefault,
                compensationRetry: SagaRetryPolicy = .compensationDefault, retryCheckInterval: Duration = .milliseconds(200),
                onNext: OnNext? = nil, onNextRevert: OnNextRevert? = nil) throws(SagaDefinitionError) {
        try TopicNames.validate(name, what: "saga name")
        guard !steps.isEmpty else { throw SagaDefinitionError("saga \(name) has no steps") }
        var keys: Set<Int> = [], suffixes: Set<String> = []
        for step in steps {
            guard keys.insert(step.key).inserted else { throw SagaDefinitionError("saga \(name): topic key \(step.key) is used twice") }
            guard suffixes.insert(step.topicSuffix).inserted else {
                throw SagaDefinitionError("saga \(name): topic suffix \(step.topicSuffix) is used twice")
            }
        }
        self.name = name
        self.steps = steps
        self.retry = retry
        self.compensationRetry = compensationRetry
        self.retryCheckInterval = retryCheckInterval
        self.onNext = onNext
        self.onNextRevert = onNextRevert
    }

    /// Where sagas are started: records keyed by a new transaction id, valued with the
    /// initial entity state (a JSON object).
    public var startTopic: String { "saga.start.\(name)" }
    /// Where workers reply.
    public var replyTopic: String { "saga.reply.\(name)" }
    /// Where people re-drive sagas whose compensation failed (``SagaRedrive``, keyed by
    /// transaction id).
    public var redriveTopic: String { "saga.redrive.\(name)" }
    /// Every history entry of every instance, keyed by transaction id.
    public var eventsTopic: String { "saga.events.\(name)" }
    /// Sagas whose compensation failed, for people to look at.
    public var deadLetterTopic: String { "saga.dlq.\(name)" }
    /// Start requests and replies that were not valid, with the reason.
    public var rejectionsTopic: String { "saga.rejections.\(name)" }
    /// The store of instances, keyed by transaction id.
    public var instanceStore: String { "\(name)-instances" }
    /// The store of deferred retries.
    public var retryStore: String { "\(name)-retries" }
    /// The store of reply deadlines (steps with a ``SagaStep/replyTimeout``).
    public var replyDeadlineStore: String { "\(name)-reply-deadlines" }
    /// Whether any step has a reply timeout (the orchestrator then keeps reply deadlines).
    var hasReplyTimeouts: Bool { steps.contains { $0.replyTimeout != nil } }

    /// The step with primary key `key`.
    public func step(key: Int) -> SagaStep? { steps.first { $0.key == abs(key) } }
}
