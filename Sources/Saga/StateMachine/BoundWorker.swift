/// A machine's worker as closures, so the per-record calls touch no constrained existential
/// (`any StateWorker<Entity>` needs its type metadata looked up at run time in generic code).
final class BoundWorker<Entity: StateMachineEntity>: Sendable {
    /// The worker itself, for messages.
    let worker: any StateWorker<Entity>
    /// Who the worker's transitions name as actor.
    let actor: String
    let isApplicable: @Sendable (Entity) -> Bool
    /// The worker's step when it is a ``SynchronousStateWorker``.
    let synchronous: (@Sendable (Entity) throws -> Entity?)?
    let process: @Sendable (Entity) async throws -> Entity?

    init(_ worker: some StateWorker<Entity>) {
        self.worker = worker
        actor = worker.actor
        isApplicable = { worker.isApplicable($0) }
        if let synchronousWorker = worker as? any SynchronousStateWorker<Entity> {
            synchronous = Self.step(of: synchronousWorker)
        } else {
            synchronous = nil
        }
        process = { try await worker.process($0) }
    }

    private static func step(of worker: some SynchronousStateWorker<Entity>) -> @Sendable (Entity) throws -> Entity? {
        { try worker.processSynchronously($0) }
    }

    /// Runs the step: directly if it is synchronous, else on this thread through a task.
    func run(_ entity: Entity) throws -> Entity? {
        if let synchronous { return try synchronous(entity) }
        let process = process
        return try awaitOnCallerThread { try await process(entity) }
    }
}
