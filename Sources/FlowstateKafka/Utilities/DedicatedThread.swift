import Foundation
import Synchronization

/// A thread that repeats one blocking step (e.g. `rd_kafka_poll`) until stopped.
///
/// - Important: `step` must return within a bounded time so ``stop()`` can join.
final class DedicatedThread: Sendable {
    private final class Control: Sendable {
        let running = Atomic<Bool>(true)
        let finished = DispatchSemaphore(value: 0)
    }
    private let control = Control()

    /// Starts a thread named `name` (at most 15 bytes reach the OS) that calls `step` until ``stop()``.
    init(name: String, step: @escaping @Sendable () -> Void) {
        let thread = Thread { [control] in
            nameCurrentThread(name)
            while control.running.load(ordering: .acquiring) { step() }
            control.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for the thread to finish its current step. Idempotent.
    func stop() {
        if control.running.exchange(false, ordering: .acquiringAndReleasing) {
            control.finished.wait()
        }
    }

    deinit { stop() }
}
