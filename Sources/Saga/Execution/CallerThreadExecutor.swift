import Foundation

/// Runs an async body to completion on the calling (stream) thread, blocking it meanwhile.
///
/// Processors are synchronous, but saga endpoints and state-machine workers are `async`
/// and may call external systems. This bridge gives the body a task whose jobs all run on
/// the calling thread: a body that never suspends runs to completion before the task is even
/// enqueued (no thread hop, no wait), and one that awaits
/// I/O parks the stream thread until its continuation is enqueued back here. It never blocks
/// a thread of the cooperative pool on behalf of another (the stream thread is a dedicated
/// thread; under the test driver the body still runs on the caller's thread).
///
/// - Returns: What `body` returns.
/// - Throws: What `body` throws.
package func awaitOnCallerThread<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let executor = CallerThreadExecutor.acquire()
    defer { executor.release() }
    let outcome = OutcomeBox<T>()
    // Starts the body right here; only if it suspends does its continuation go through the
    // executor (a body that never suspends finishes before `immediate` returns).
    Task.immediate(executorPreference: executor) {
        do { outcome.value = .success(try await body()) } catch { outcome.value = .failure(error) }
        executor.finish()
    }
    executor.runUntilFinished()
    guard let result = outcome.value else { preconditionFailure("task finished without a result") }
    return try result.get()
}

/// A task executor whose jobs run on the thread that calls ``runUntilFinished()``.
///
/// Each thread keeps one for its calls (``acquire()``/``release()``), so a call allocates no
/// executor; a nested call (a body that itself blocks on ``awaitOnCallerThread(_:)``) gets a
/// fresh one.
final class CallerThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false
    /// Whether a call on the owning thread is using it (touched by that thread only).
    private var inUse = false

    /// This thread's executor, or a new one if a call on this thread is already using it.
    static func acquire() -> CallerThreadExecutor {
        if let stored = pthread_getspecific(threadExecutorKey) {
            let executor = Unmanaged<CallerThreadExecutor>.fromOpaque(stored).takeUnretainedValue()
            guard !executor.inUse else { return CallerThreadExecutor() }
            executor.inUse = true
            return executor
        }
        let executor = CallerThreadExecutor()
        executor.inUse = true
        pthread_setspecific(threadExecutorKey, Unmanaged.passRetained(executor).toOpaque())
        return executor
    }

    /// Makes the executor ready for the thread's next call.
    func release() {
        condition.lock()
        finished = false
        condition.unlock()
        inUse = false
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    func runUntilFinished() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty && finished {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}

/// The key of each thread's ``CallerThreadExecutor``, released when the thread exits.
private let threadExecutorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { stored in
        if let stored { Unmanaged<CallerThreadExecutor>.fromOpaque(stored).release() }
    }
    return key
}()

/// The result of a task, written by the task before it finishes and read after.
private final class OutcomeBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}
