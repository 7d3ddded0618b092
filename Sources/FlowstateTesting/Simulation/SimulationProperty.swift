/// A property every simulation run must keep: the generic ones below, and those a scenario
/// checks in ``SimulationScenario/verify(_:)`` (declared as further constants by the scenario).
package struct SimulationProperty: Hashable, Sendable, CustomStringConvertible {
    /// The property's name, as reports print it.
    package let name: String

    /// A property called `name`.
    package init(_ name: String) { self.name = name }

    package var description: String { name }

    /// Every input record is reflected exactly once in the read_committed outputs.
    package static let exactlyOnceOutputs = SimulationProperty("exactly-once outputs")
    /// Every store's contents equal the sequential model's.
    package static let storesMatchModel = SimulationProperty("stores match the model")
    /// RocksDB holds only writes of committed transactions (checked after every step).
    package static let noUncommittedState = SimulationProperty("no uncommitted write in RocksDB")
    /// Restoring any task from its changelog gives the live task's state.
    package static let restorationMatchesLiveState = SimulationProperty("restoration matches live state")
    /// A zombie (paused past its session timeout) commits nothing it wrote after waking up.
    package static let zombieCommitsNothing = SimulationProperty("a fenced zombie commits nothing")
    /// Once faults stop, the instances settle and process every input.
    package static let convergence = SimulationProperty("convergence")
}

/// A property a run broke, with what was found.
package struct SimulationViolation: Error, Sendable, CustomStringConvertible {
    /// The property.
    package var property: SimulationProperty
    /// What differed.
    package var detail: String

    package init(_ property: SimulationProperty, _ detail: String) {
        self.property = property
        self.detail = detail
    }

    package var description: String { "\(property.name): \(detail)" }
}

/// What one run did and found.
package struct SimulationOutcome: Sendable {
    /// The plan that ran.
    package var plan: SimulationPlan
    /// The first property broken, if any.
    package var violation: SimulationViolation?
    /// What happened, in order: effective actions and events (crashes, failures, zombies).
    package var events: [String]
    /// Counters of the run.
    package var statistics: SimulationStatistics
}

/// Counters of one run (or of many, summed).
package struct SimulationStatistics: Sendable {
    /// Input records produced.
    package var inputs = 0
    /// Stream-thread loop turns run.
    package var turns = 0
    /// Crashes injected, by fault point.
    package var crashes: [String: Int] = [:]
    /// Pauses injected, by fault point.
    package var pauses: [String: Int] = [:]
    /// Pauses that outlived the session (the instance woke up as a zombie).
    package var zombies = 0
    /// Restarts on the old state directory, and on a fresh one.
    package var restarts = 0
    package var freshRestarts = 0
    /// Graceful stops.
    package var stops = 0
    /// Errors the runtime did not handle (the thread failed; the harness restarts it).
    package var failures: [String] = []
    /// Transactions committed and aborted at the broker.
    package var transactionsCommitted = 0
    package var transactionsAborted = 0
    /// Compactions run.
    package var compactions = 0

    package init() {}

    /// Adds another run's counters.
    package mutating func add(_ other: SimulationStatistics) {
        inputs += other.inputs
        turns += other.turns
        crashes.merge(other.crashes, uniquingKeysWith: +)
        pauses.merge(other.pauses, uniquingKeysWith: +)
        zombies += other.zombies
        restarts += other.restarts
        freshRestarts += other.freshRestarts
        stops += other.stops
        failures += other.failures
        transactionsCommitted += other.transactionsCommitted
        transactionsAborted += other.transactionsAborted
        compactions += other.compactions
    }
}
