/// The thrown error that kills a simulated instance at a fault point: the harness drops the
/// instance without any cleanup, as the OS would end a process.
package struct SimulatedCrash: Error, CustomStringConvertible {
    /// The instance that crashed.
    package var instance: Int
    /// Where it crashed.
    package var point: String

    package var description: String { "instance \(instance) crashed at \(point)" }
}

/// Whether an instance's process runs, is paused (no heartbeats) or crashed; shared by the
/// instance's simulated clients.
package final class SimulatedProcess {
    package enum Status: Equatable {
        case running, paused, crashed
    }

    /// The instance number (for messages).
    package let instance: Int
    /// The process's status.
    package var status: Status = .running

    package init(instance: Int) { self.instance = instance }

    /// Whether the process's clients heartbeat.
    var isHeartbeating: Bool { status == .running }

    /// Throws if the process crashed: a dead process makes no calls.
    ///
    /// - Throws: ``SimulatedCrash``.
    func ensureAlive() throws(SimulatedCrash) {
        if status == .crashed { throw SimulatedCrash(instance: instance, point: "a call after the crash") }
    }
}
