/// An entity driven by a ``StateMachine``: a statement, an order.
///
/// It is stored by ``id`` (the transaction id) and emitted keyed by ``partitionKey``, so
/// all entities of one partition key (an organisation) are processed in order by one task.
public protocol StateMachineEntity: Codable, Sendable {
    /// The entity's statuses.
    associatedtype Status: StateMachineStatus
    /// The transaction id: the key of the entity in its store.
    var id: String { get }
    /// The key of the records the entity is emitted with (for example its organisation id).
    var partitionKey: String { get }
    /// The current status.
    var status: Status { get set }
    /// Called on every transition before the entity is saved, with the time and the actor;
    /// the default does nothing. Entities that carry `updatedAt`/`updatedBy` set them here.
    mutating func recordTransition(at time: Int64, by actor: String)
}

extension StateMachineEntity {
    /// Does nothing.
    public mutating func recordTransition(at time: Int64, by actor: String) {}
}

/// The statuses of a state machine. The raw value names the status's topic
/// (`<machine>.<raw value>`), so it follows the topic rules: `close-initiated`.
public protocol StateMachineStatus: RawRepresentable<String>, CaseIterable, Hashable, Sendable, Codable {}

/// An automatic step, in the shape of the seed's workers: the first worker whose
/// ``isApplicable(_:)`` is true for an entity processes it and returns its next step.
public protocol StateWorker<Entity>: Sendable {
    /// The entity type.
    associatedtype Entity: StateMachineEntity
    /// Who the lifecycle events of this worker's transitions name as actor. Default: `"system"`.
    var actor: String { get }
    /// Whether this worker handles `entity` in its current state.
    func isApplicable(_ entity: Entity) -> Bool
    /// Longest one step may run before it fails as retryable (``Flowstate/CallTimeout``).
    /// Default: 30 s.
    var timeout: Duration { get }
    /// How often a failed step runs again at once (after `backoff`, on a timer, in the same
    /// call) before it is retried later under ``deferredRetry``. Default: 3 tries, 50 ms apart.
    var retry: ImmediateRetryPolicy { get }
    /// How often and how late a step that failed as retryable (``StateWorkerError/retryable(_:)``,
    /// or immediate tries spent) runs again, through a durable timer: the entity keeps its
    /// status meanwhile, the timer survives restarts and rebalances, and commits are not held
    /// up. Attempts spent, the triggering record goes to the dead-letter topic with the reason.
    /// Default: 5 attempts, 1 s doubling up to 60 s.
    var deferredRetry: DeferredRetryPolicy { get }
    /// Does the step's work (it may call external systems) and returns the entity in its next
    /// status, or `nil` when there is nothing to do yet.
    ///
    /// It runs off the stream thread, many entities at once, one at a time per entity. It may
    /// run more than once for the same transition (a retry, an abort, a crash): pass
    /// ``StateWorkerCall/idempotencyKey`` to the services it calls.
    ///
    /// - Throws: ``StateWorkerError`` to say how the step failed: `nonRetryable` sends the
    ///   triggering record to the dead-letter topic at once, `retryable` retries later
    ///   (``deferredRetry``), `immediatelyRetryable` and any other error retry at once
    ///   (``retry``), then later. The entity keeps its status until a try succeeds.
    func process(_ entity: Entity) async throws -> Entity?
}

extension StateWorker {
    /// `"system"`.
    public var actor: String { "system" }
    /// 30 s.
    public var timeout: Duration { .seconds(30) }
    /// 3 tries, 50 ms apart.
    public var retry: ImmediateRetryPolicy { ImmediateRetryPolicy() }
    /// 5 attempts, 1 s doubling up to 60 s.
    public var deferredRetry: DeferredRetryPolicy { .primaryDefault }
}

/// How a worker's step failed: the kinds of saga endpoints' failures (retryable,
/// immediately retryable, non-retryable).
public typealias StateWorkerError = SagaEndpointError

/// How often and how late a state-machine worker's step is retried through durable timers.
public typealias DeferredRetryPolicy = SagaRetryPolicy

/// What a ``StateWorker`` step knows of the call it runs in (task-local values).
public enum StateWorkerCall {
    /// A key that stays the same each time this transition's step runs again (a retry, an
    /// aborted transaction, a crash): `<machine>/<entity id>/<status>/<transitions so far>`.
    /// Pass it to the services the step calls so that they apply the step once.
    @TaskLocal public static var idempotencyKey: String?
    /// The try of this step: 1 first, then 2, 3, … on every retry, immediate or deferred.
    @TaskLocal public static var attempt = 1
}

/// A ``StateWorker`` whose step never waits (no I/O, no `await`): the machine calls
/// ``processSynchronously(_:)`` on the stream thread directly instead of running the async
/// ``StateWorker/process(_:)`` in a task.
public protocol SynchronousStateWorker<Entity>: StateWorker {
    /// The entity type.
    associatedtype Entity
    /// Does the step's work and returns the entity in its next status, or `nil` when there is
    /// nothing to do yet.
    ///
    /// - Throws: ``StateWorkerError/retryable(_:)`` to retry later (``StateWorker/deferredRetry``);
    ///   any other error sends the triggering record to the dead-letter topic at once (a step
    ///   that does not wait gives the same answer when repeated at once).
    func processSynchronously(_ entity: Entity) throws -> Entity?
}

extension SynchronousStateWorker {
    /// Runs ``processSynchronously(_:)``.
    public func process(_ entity: Entity) async throws -> Entity? { try processSynchronously(entity) }
}
