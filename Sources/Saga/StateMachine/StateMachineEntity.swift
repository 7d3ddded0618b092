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
    /// How often a failed step runs again at once (after `backoff`, on a timer) before its
    /// record goes to the dead-letter topic. Default: 3 tries, 50 ms apart.
    var retry: ImmediateRetryPolicy { get }
    /// Does the step's work (it may call external systems) and returns the entity in its next
    /// status, or `nil` when there is nothing to do yet.
    ///
    /// It runs off the stream thread, many entities at once, one at a time per entity. It may
    /// run more than once for the same transition (a retry, an abort, a crash): pass
    /// ``StateWorkerCall/idempotencyKey`` to the services it calls.
    ///
    /// - Throws: Any error; the step is retried as ``retry`` says, then the triggering record
    ///   goes to the dead-letter topic with the reason and the entity stays as it was.
    func process(_ entity: Entity) async throws -> Entity?
}

extension StateWorker {
    /// `"system"`.
    public var actor: String { "system" }
    /// 30 s.
    public var timeout: Duration { .seconds(30) }
    /// 3 tries, 50 ms apart.
    public var retry: ImmediateRetryPolicy { ImmediateRetryPolicy() }
}

/// What a ``StateWorker`` step knows of the call it runs in (task-local values).
public enum StateWorkerCall {
    /// A key that stays the same each time this transition's step runs again (a retry, an
    /// aborted transaction, a crash): `<machine>/<entity id>/<status>/<transitions so far>`.
    /// Pass it to the services the step calls so that they apply the step once.
    @TaskLocal public static var idempotencyKey: String?
    /// The try of this step: 1 first, then 2, 3, … on immediate retries.
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
    /// - Throws: Any error; as for ``StateWorker/process(_:)``.
    func processSynchronously(_ entity: Entity) throws -> Entity?
}

extension SynchronousStateWorker {
    /// Runs ``processSynchronously(_:)``.
    public func process(_ entity: Entity) async throws -> Entity? { try processSynchronously(entity) }
}
