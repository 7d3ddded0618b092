/// A worker endpoint: the code behind a saga step's topics.
///
/// ```swift
/// let makePayment = try SagaEndpoint.command("payment-service.make-payment") { execution in
///     let amount = execution.entity["total_amount"]?.intValue ?? 0
///     execution.entity["payment_reference_id"] = .string(try await payments.charge(amount, key: execution.idempotencyKey))
/// } undo: { execution in
///     try await payments.refund(execution.entity["payment_reference_id"]?.stringValue)
///     execution.hints["refunded_at"] = "now"
/// }
/// ```
///
/// To read and update the entity as a `Codable` type instead, see
/// ``query(_:entity:scope:concurrency:retry:timeout:_:)`` and
/// ``command(_:entity:scope:primaryConcurrency:revertConcurrency:primaryRetry:revertRetry:timeout:do:undo:)``.
public struct SagaEndpoint: Sendable {
    /// An execution body; it throws ``SagaEndpointError`` to say how it failed.
    public typealias Body = @Sendable (inout SagaExecution) async throws -> Void

    /// The topic suffix (`saga.do.<suffix>`, `saga.undo.<suffix>`).
    public let topicSuffix: String
    /// Query (do only) or command (do and undo).
    public let kind: SagaStep.Kind
    /// Shared or isolated consumers.
    public let scope: ListenerScope
    /// Parallel primary executions (stream threads of the endpoint's listener).
    public let primaryConcurrency: Int
    /// Parallel compensation executions.
    public let revertConcurrency: Int
    /// Immediate retries of primary executions.
    public let primaryRetry: ImmediateRetryPolicy
    /// Immediate retries of compensation executions.
    public let revertRetry: ImmediateRetryPolicy
    /// Longest one execution may run before it fails as retryable (``Flowstate/CallTimeout``).
    /// Default: 30 s.
    public let timeout: Duration
    let doBody: Body
    let undoBody: Body?

    /// A query endpoint: no state change, no compensation.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad suffix or concurrency.
    public static func query(_ topicSuffix: String, scope: ListenerScope = .shared, concurrency: Int = 1,
                             retry: ImmediateRetryPolicy = ImmediateRetryPolicy(), timeout: Duration = .seconds(30),
                             _ body: @escaping Body) throws(SagaDefinitionError) -> SagaEndpoint {
        try SagaEndpoint(topicSuffix: topicSuffix, kind: .query, scope: scope, primaryConcurrency: concurrency,
                         revertConcurrency: 1, primaryRetry: retry, revertRetry: retry, timeout: timeout, doBody: body, undoBody: nil)
    }

    /// A command endpoint: a primary execution and its compensation.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad suffix or concurrency.
    public static func command(_ topicSuffix: String, scope: ListenerScope = .shared, primaryConcurrency: Int = 1,
                               revertConcurrency: Int = 1, primaryRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(),
                               revertRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(), timeout: Duration = .seconds(30),
                               do doBody: @escaping Body, undo undoBody: @escaping Body) throws(SagaDefinitionError) -> SagaEndpoint {
        try SagaEndpoint(topicSuffix: topicSuffix, kind: .command, scope: scope, primaryConcurrency: primaryConcurrency,
                         revertConcurrency: revertConcurrency, primaryRetry: primaryRetry, revertRetry: revertRetry,
                         timeout: timeout, doBody: doBody, undoBody: undoBody)
    }

    private init(topicSuffix: String, kind: SagaStep.Kind, scope: ListenerScope, primaryConcurrency: Int,
                 revertConcurrency: Int, primaryRetry: ImmediateRetryPolicy, revertRetry: ImmediateRetryPolicy,
                 timeout: Duration, doBody: @escaping Body, undoBody: Body?) throws(SagaDefinitionError) {
        try TopicNames.validate(topicSuffix, what: "topic suffix")
        guard primaryConcurrency >= 1, revertConcurrency >= 1 else {
            throw SagaDefinitionError("endpoint \(topicSuffix): concurrency must be at least 1")
        }
        guard timeout > .zero else {
            throw SagaDefinitionError("endpoint \(topicSuffix): timeout must be positive")
        }
        self.timeout = timeout
        self.topicSuffix = topicSuffix
        self.kind = kind
        self.scope = scope
        self.primaryConcurrency = primaryConcurrency
        self.revertConcurrency = revertConcurrency
        self.primaryRetry = primaryRetry
        self.revertRetry = revertRetry
        self.doBody = doBody
        self.undoBody = undoBody
    }

    /// `endpoint` with other bodies (its settings were checked when it was made).
    private init(copying endpoint: SagaEndpoint, doBody: @escaping Body, undoBody: Body?) {
        topicSuffix = endpoint.topicSuffix
        kind = endpoint.kind
        scope = endpoint.scope
        primaryConcurrency = endpoint.primaryConcurrency
        revertConcurrency = endpoint.revertConcurrency
        primaryRetry = endpoint.primaryRetry
        revertRetry = endpoint.revertRetry
        timeout = endpoint.timeout
        self.doBody = doBody
        self.undoBody = undoBody
    }

    /// The primary topic.
    public var doTopic: String { "saga.do.\(topicSuffix)" }
    /// The compensation topic (command endpoints).
    public var undoTopic: String { "saga.undo.\(topicSuffix)" }
}

extension SagaEndpoint {
    /// The same endpoint with each execution (primary and compensation) first awaiting
    /// `latency`: a stand-in for a remote call's round trip, for demos and benchmarks.
    public func delayed(by latency: Duration) -> SagaEndpoint {
        guard latency > .zero else { return self }
        func delay(_ body: @escaping Body) -> Body {
            { execution in
                try await Task.sleep(for: latency)
                try await body(&execution)
            }
        }
        return SagaEndpoint(copying: self, doBody: delay(doBody), undoBody: undoBody.map(delay))
    }
}
