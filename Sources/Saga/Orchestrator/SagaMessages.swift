/// Which execution of a step a message is about.
public enum SagaAction: String, Codable, Sendable, Hashable {
    /// The primary execution (`saga.do.*`).
    case `do`
    /// The compensation (`saga.undo.*`).
    case undo
}

/// The command the orchestrator sends to a step's endpoint, keyed by transaction id.
public struct SagaCommand: Codable, Sendable, Hashable {
    /// The saga instance's transaction id.
    public var transactionID: String
    /// The saga's name; the worker replies to `saga.reply.<saga>`.
    public var saga: String
    /// The signed topic key: `k` for the primary execution of step `k`, `-k` for its undo.
    public var stepKey: Int
    /// Primary or compensation.
    public var action: SagaAction
    /// Stable across every retry of this execution: `<transaction id>:<signed key>`.
    public var idempotencyKey: String
    /// The deferred attempt, from 1.
    public var attempt: Int
    /// The domain entity state: for update in a primary execution, the last state in an undo.
    public var entity: JSONObject
    /// Hints passed between compensation executions.
    public var hints: JSONObject
    /// The key-value context of the failure that started compensation.
    public var errorContext: [String: String]

    /// Creates a command.
    public init(transactionID: String, saga: String, stepKey: Int, action: SagaAction, idempotencyKey: String, attempt: Int,
                entity: JSONObject, hints: JSONObject, errorContext: [String: String]) {
        self.transactionID = transactionID
        self.saga = saga
        self.stepKey = stepKey
        self.action = action
        self.idempotencyKey = idempotencyKey
        self.attempt = attempt
        self.entity = entity
        self.hints = hints
        self.errorContext = errorContext
    }
}

/// How an endpoint execution ended.
public enum SagaOutcome: String, Codable, Sendable, Hashable {
    /// It succeeded.
    case success
    /// It failed transiently: retry later.
    case retryable
    /// It failed for good, with error context: compensate (or, in an undo, terminate).
    case nonRetryable = "non-retryable"
    /// An unexpected error escaped the endpoint: treated as non-retryable with no context.
    case unhandled
}

/// The worker's reply to a ``SagaCommand``, sent to `saga.reply.<saga>` keyed by transaction id.
public struct SagaReply: Codable, Sendable, Hashable {
    /// The saga instance's transaction id.
    public var transactionID: String
    /// The saga's name.
    public var saga: String
    /// The signed topic key of the execution.
    public var stepKey: Int
    /// Primary or compensation.
    public var action: SagaAction
    /// The command's idempotency key.
    public var idempotencyKey: String
    /// The command's deferred attempt.
    public var attempt: Int
    /// How it ended.
    public var outcome: SagaOutcome
    /// The updated entity state (successful primary executions).
    public var entity: JSONObject?
    /// The updated hint store (compensations).
    public var hints: JSONObject?
    /// Error context for the compensation (non-retryable failures).
    public var errorContext: [String: String]
    /// The error's message, for failures.
    public var message: String?
    /// Immediate retries the worker made before replying.
    public var immediateRetries: Int

    /// Creates a reply.
    public init(transactionID: String, saga: String, stepKey: Int, action: SagaAction, idempotencyKey: String, attempt: Int,
                outcome: SagaOutcome, entity: JSONObject?, hints: JSONObject?, errorContext: [String: String],
                message: String?, immediateRetries: Int) {
        self.transactionID = transactionID
        self.saga = saga
        self.stepKey = stepKey
        self.action = action
        self.idempotencyKey = idempotencyKey
        self.attempt = attempt
        self.outcome = outcome
        self.entity = entity
        self.hints = hints
        self.errorContext = errorContext
        self.message = message
        self.immediateRetries = immediateRetries
    }
}
