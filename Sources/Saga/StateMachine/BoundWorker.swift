/// A machine's worker as closures, so the per-record calls touch no constrained existential
/// (`any StateWorker<Entity>` needs its type metadata looked up at run time in generic code).
final class BoundWorker<Entity: StateMachineEntity>: Sendable {
    /// The worker itself, for messages.
    let worker: any StateWorker<Entity>
    /// The worker's type name, for metrics and messages.
    let name: String
    /// Who the worker's transitions name as actor.
    let actor: String
    let timeout: Duration
    let retry: ImmediateRetryPolicy
    let deferredRetry: DeferredRetryPolicy
    let isApplicable: @Sendable (Entity) -> Bool
    /// The worker's step when it is a ``SynchronousStateWorker``: it runs on the stream thread.
    let synchronous: (@Sendable (Entity) throws -> Entity?)?
    let process: @Sendable (Entity) async throws -> Entity?

    init(_ worker: some StateWorker<Entity>) {
        self.worker = worker
        name = String(describing: type(of: worker))
        actor = worker.actor
        timeout = worker.timeout
        retry = worker.retry
        deferredRetry = worker.deferredRetry
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
}
