import Foundation
import Synchronization

/// Runs suspended calls off the stream thread and reports their completions: the seam that lets
/// the deterministic simulation choose when each call finishes.
package protocol CallExecutor: AnyObject, Sendable {
    /// Starts `request.call`; its completion (or a ``CallTimeout`` after `request.timeout`) is
    /// reported once through ``takeCompletions()``.
    func start(_ request: CallRequest)
    /// Cancels a call whose result is no longer wanted; a completion may still be reported.
    func cancel(_ id: CallID)
    /// The completions reported since the last call, in the order they finished.
    func takeCompletions() -> [CallCompletion]
    /// Waits until a completion is ready or `timeout` passes.
    func waitForCompletions(timeout: Duration)
}

/// Runs each call as a task on Swift's cooperative pool (or a task executor the user gives),
/// with a timer task for its timeout: a call that never returns is reported as timed out and
/// cancelled, and its late result ignored.
package final class ConcurrentCallExecutor: CallExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var completions: [CallCompletion] = []
    private var running: [CallID: Task<Void, Never>] = [:]
    private let preferred: (any TaskExecutor)?

    /// Runs calls on `preferred`, or on the cooperative pool when it is `nil`.
    package init(preferring preferred: (any TaskExecutor)? = nil) { self.preferred = preferred }

    package func start(_ request: CallRequest) {
        let started = ContinuousClock.now
        let latch = CallLatch()
        let body = Task(executorPreference: preferred) { [self] in
            let result: Result<any Sendable, any Error>
            do { result = .success(try await request.call()) } catch { result = .failure(error) }
            report(request, result, started: started, latch: latch)
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: request.timeout)
            guard !Task.isCancelled else { return }
            report(request, .failure(CallTimeout(name: request.name, timeout: request.timeout)), started: started, latch: latch)
            body.cancel()
        }
        latch.timer = timer
        condition.lock()
        running[request.id] = body
        condition.unlock()
    }

    private func report(_ request: CallRequest, _ result: Result<any Sendable, any Error>, started: ContinuousClock.Instant,
                        latch: CallLatch) {
        guard latch.claim() else { return }
        let completion = CallCompletion(id: request.id, name: request.name, result: result, duration: ContinuousClock.now - started)
        condition.lock()
        running[request.id] = nil
        completions.append(completion)
        condition.signal()
        condition.unlock()
    }

    package func cancel(_ id: CallID) {
        condition.lock()
        let task = running.removeValue(forKey: id)
        condition.unlock()
        task?.cancel()
    }

    package func takeCompletions() -> [CallCompletion] {
        condition.lock()
        defer { condition.unlock() }
        let taken = completions
        completions.removeAll(keepingCapacity: true)
        return taken
    }

    package func waitForCompletions(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        while completions.isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }
}

/// Lets the first of a call's body and its timer report, and stops the timer when the body wins.
private final class CallLatch: @unchecked Sendable {
    private let claimed = Atomic<Bool>(false)
    private let lock = NSLock()
    private var storedTimer: Task<Void, Never>?

    var timer: Task<Void, Never>? {
        get { lock.withLock { storedTimer } }
        set {
            lock.withLock { storedTimer = newValue }
            if claimed.load(ordering: .acquiring) { newValue?.cancel() }
        }
    }

    /// Whether the caller is the first to claim the call's outcome.
    func claim() -> Bool {
        guard claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return false }
        timer?.cancel()
        return true
    }
}
