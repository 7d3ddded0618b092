import Foundation

/// Runs calls on the thread that waits for them: every job of a call's task (and of its timeout
/// timer) runs inside ``waitForCompletions(timeout:)``.
///
/// For hosts that may themselves run on Swift's cooperative pool (the test driver, the
/// in-process loop): blocking a pool thread while the calls need one could deadlock a small
/// pool.
package final class CallerThreadCallExecutor: CallExecutor, TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var completions: [CallCompletion] = []
    private var running: [CallID: Task<Void, Never>] = [:]
    private var timers: [CallID: Task<Void, Never>] = [:]

    package init() {}

    package func start(_ request: CallRequest) {
        let started = ContinuousClock.now
        var finished = false
        let report: (Result<any Sendable, any Error>) -> Void = { [self] result in
            // Jobs run on the waiting thread only, so the flag needs no lock.
            guard !finished else { return }
            finished = true
            condition.lock()
            running[request.id] = nil
            let timer = timers.removeValue(forKey: request.id)
            completions.append(CallCompletion(id: request.id, name: request.name, result: result,
                                              duration: ContinuousClock.now - started))
            condition.signal()
            condition.unlock()
            timer?.cancel()  // outside the lock: cancelling its sleep enqueues a job here
        }
        nonisolated(unsafe) let unsafeReport = report
        let body = Task(executorPreference: self) {
            let result: Result<any Sendable, any Error>
            do { result = .success(try await request.call()) } catch { result = .failure(error) }
            unsafeReport(result)
        }
        let timer = Task(executorPreference: self) {
            try? await Task.sleep(for: request.timeout)
            guard !Task.isCancelled else { return }
            unsafeReport(.failure(CallTimeout(name: request.name, timeout: request.timeout)))
            body.cancel()
        }
        condition.lock()
        running[request.id] = body
        timers[request.id] = timer
        condition.unlock()
    }

    package func cancel(_ id: CallID) {
        condition.lock()
        let task = running.removeValue(forKey: id)
        let timer = timers.removeValue(forKey: id)
        condition.unlock()
        task?.cancel()
        timer?.cancel()
    }

    package func takeCompletions() -> [CallCompletion] {
        condition.lock()
        defer { condition.unlock() }
        let taken = completions
        completions.removeAll(keepingCapacity: true)
        return taken
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs the calls' jobs until one of them completes a call or `timeout` passes.
    package func waitForCompletions(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        while true {
            condition.lock()
            while jobs.isEmpty, completions.isEmpty {
                if !condition.wait(until: deadline) { break }
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            let done = !completions.isEmpty
            condition.unlock()
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if done || Date() >= deadline { return }
        }
    }
}
