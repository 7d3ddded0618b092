/// A worker whose step first awaits `latency`, then runs another worker's step: a stand-in for
/// a remote call's round trip (the demo's and benchmarks' `--step-latency`).
public struct DelayedStateWorker<Wrapped: StateWorker>: StateWorker {
    /// The worker whose step runs after the wait.
    public let wrapped: Wrapped
    /// How long each step waits first.
    public let latency: Duration

    /// Wraps `worker`.
    public init(_ worker: Wrapped, latency: Duration) {
        wrapped = worker
        self.latency = latency
    }

    /// The wrapped worker's actor.
    public var actor: String { wrapped.actor }
    /// The wrapped worker's timeout.
    public var timeout: Duration { wrapped.timeout }
    /// The wrapped worker's retry policy.
    public var retry: ImmediateRetryPolicy { wrapped.retry }
    /// The wrapped worker's deferred retry policy.
    public var deferredRetry: DeferredRetryPolicy { wrapped.deferredRetry }
    /// Whether the wrapped worker applies.
    public func isApplicable(_ entity: Wrapped.Entity) -> Bool { wrapped.isApplicable(entity) }

    /// Waits `latency`, then runs the wrapped step.
    public func process(_ entity: Wrapped.Entity) async throws -> Wrapped.Entity? {
        try await Task.sleep(for: latency)
        return try await wrapped.process(entity)
    }
}
