/// What an endpoint receives for one execution, and may update.
public struct SagaExecution: Sendable {
    /// The saga instance's transaction id (the record key).
    public let transactionID: String
    /// The same for every retry of this execution; use it to make side effects idempotent.
    public let idempotencyKey: String
    /// Primary execution or compensation.
    public let action: SagaAction
    /// The signed topic key.
    public let stepKey: Int
    /// The domain entity state: update it in a primary execution (the changes reach the next
    /// steps only if the execution succeeds); in an undo it is the last persisted state.
    public var entity: JSONObject
    /// The hint store: compensation executions pass hints to the next one through it.
    public var hints: JSONObject
    /// The context of the failure that started compensation (empty in primary executions).
    public let errorContext: [String: String]
    /// How many times this execution has been tried.
    public let retryContext: SagaRetryContext
}

/// Retry counters of an execution.
public struct SagaRetryContext: Sendable, Hashable {
    /// Immediate retries made so far in this delivery (0 on the first try).
    public let retryCount: Int
    /// The deferred attempt, from 1.
    public let attempt: Int
}

/// How an endpoint's immediately-retryable failures are retried in the worker.
public struct ImmediateRetryPolicy: Sendable, Hashable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// The pause between tries.
    public var backoff: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 3, backoff: Duration = .milliseconds(50)) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
    }
}

/// Whether an endpoint shares a consumer with other endpoints.
public enum ListenerScope: String, Sendable, Hashable {
    /// One consumer (and stream threads) for all shared endpoints of a worker.
    case shared
    /// The endpoint's own consumers: one for its primary topic and one for its undo topic,
    /// each with its own concurrency.
    case isolated
}
