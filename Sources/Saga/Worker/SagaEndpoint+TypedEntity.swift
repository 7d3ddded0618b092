/// Endpoints over a `Codable` entity type: the JSON entity is decoded into the type before the
/// body runs and the body's changes are encoded back into it, so the wire format and the stored
/// ``SagaInstance`` stay JSON.
///
/// ```swift
/// let makePayment = try SagaEndpoint.command("payment-service.make-payment", entity: Order.self) { order, execution in
///     order.paymentReferenceID = try await payments.charge(order.totalAmount, key: execution.idempotencyKey)
/// } undo: { order, execution in
///     try await payments.refund(order.paymentReferenceID)
///     execution.hints["refunded_at"] = "now"
/// }
/// ```
///
/// An entity that does not decode into the type fails the execution non-retryably, naming the
/// type and the field (see ``SagaExecution/entity(as:)``): a primary step compensates, an undo
/// ends the saga in ``SagaStatus/compensationFailed`` on the dead-letter topic.
extension SagaEndpoint {
    /// A primary execution over a typed entity: it may change the entity; the changes reach the
    /// next steps only if it succeeds.
    public typealias TypedBody<Entity> = @Sendable (_ entity: inout Entity, _ execution: inout SagaExecution) async throws -> Void
    /// A compensation over a typed entity (the last persisted state; changes to it are not kept,
    /// hints are).
    public typealias TypedUndoBody<Entity> = @Sendable (_ entity: Entity, _ execution: inout SagaExecution) async throws -> Void

    /// A query endpoint over the `Codable` entity type `entity`.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad suffix or concurrency.
    public static func query<Entity: Codable & Sendable>(
        _ topicSuffix: String, entity: Entity.Type, scope: ListenerScope = .shared, concurrency: Int = 1,
        retry: ImmediateRetryPolicy = ImmediateRetryPolicy(), timeout: Duration = .seconds(30),
        _ body: @escaping TypedBody<Entity>
    ) throws(SagaDefinitionError) -> SagaEndpoint {
        try query(topicSuffix, scope: scope, concurrency: concurrency, retry: retry, timeout: timeout, primary(entity, body))
    }

    /// A command endpoint over the `Codable` entity type `entity`: a primary execution and its
    /// compensation.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad suffix or concurrency.
    public static func command<Entity: Codable & Sendable>(
        _ topicSuffix: String, entity: Entity.Type, scope: ListenerScope = .shared, primaryConcurrency: Int = 1,
        revertConcurrency: Int = 1, primaryRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(),
        revertRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(), timeout: Duration = .seconds(30),
        do doBody: @escaping TypedBody<Entity>, undo undoBody: @escaping TypedUndoBody<Entity>
    ) throws(SagaDefinitionError) -> SagaEndpoint {
        try command(topicSuffix, scope: scope, primaryConcurrency: primaryConcurrency, revertConcurrency: revertConcurrency,
                    primaryRetry: primaryRetry, revertRetry: revertRetry, timeout: timeout,
                    do: primary(entity, doBody), undo: compensation(entity, undoBody))
    }

    /// `body` as an untyped body: decode, run, encode the changes back.
    private static func primary<Entity: Codable & Sendable>(_ type: Entity.Type, _ body: @escaping TypedBody<Entity>) -> Body {
        { execution in
            var value = try execution.entity(as: Entity.self)
            // The members the type encodes as read: those it no longer encodes afterwards are removed.
            let asRead = (try? JSONObject(encoding: value)) ?? [:]
            try await body(&value, &execution)
            try execution.storeEntity(value, asRead: asRead)
        }
    }

    /// `body` as an untyped undo body: decode, run.
    private static func compensation<Entity: Codable & Sendable>(_ type: Entity.Type, _ body: @escaping TypedUndoBody<Entity>) -> Body {
        { execution in
            let value = try execution.entity(as: Entity.self)
            try await body(value, &execution)
        }
    }
}
