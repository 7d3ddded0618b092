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
    /// Does the step's work (it may call external systems) and returns the entity in its next
    /// status, or `nil` when there is nothing to do yet.
    ///
    /// - Throws: Any error; the triggering record goes to the dead-letter topic with the
    ///   reason and the entity stays as it was.
    func process(_ entity: Entity) async throws -> Entity?
}

extension StateWorker {
    /// `"system"`.
    public var actor: String { "system" }
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
