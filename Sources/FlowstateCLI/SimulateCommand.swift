import ArgumentParser
import Foundation
import FlowstateTesting
import FlowstateSimulationScenarios
import Synchronization

/// `flowstate simulate`: runs seeds of the deterministic Kafka simulation with crash injection.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run seeds of the deterministic Kafka simulation (crashes, zombies, rebalances) and check exactly-once.",
        discussion: """
            Each seed draws a schedule (instances, inputs, steps, crashes and pauses at named fault \
            points, restarts on old or fresh state directories, compaction, retention) and checks the \
            properties against the scenario's sequential model. A failing seed prints the command that \
            replays it and the shortest schedule found that still breaks the property. Exits 1 if any \
            seed fails.
            """
    )

    @Option(name: .long, help: "The scenario (\(Simulation.scenarios.map(\.name).joined(separator: ", "))).")
    var scenario = "counting"

    @Option(name: .long, help: "Run this one seed (and print its events).")
    var seed: UInt64?

    @Option(name: .long, help: "How many seeds to run.")
    var seeds = 100

    @Option(name: .long, help: "The first seed.")
    var start: UInt64 = 1

    @Option(name: .long, help: "Seeds run in parallel.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Most runs spent shortening a failing schedule.")
    var shrinkBudget = 250

    func validate() throws {
        guard Simulation.scenario(named: scenario) != nil else {
            throw ValidationError("--scenario: unknown scenario '\(scenario)' (known: \(Simulation.scenarios.map(\.name).joined(separator: ", ")))")
        }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds))") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        guard shrinkBudget >= 0 else { throw ValidationError("--shrink-budget must not be negative") }
    }

    func run() throws {
        let scenario = Simulation.scenario(named: scenario)!
        let began = ContinuousClock.now
        if let seed {
            let outcome = Simulation.run(seed: seed, scenario: scenario)
            outcome.events.forEach { print("  - \($0)") }
            print(summary([outcome], elapsed: ContinuousClock.now - began))
            if outcome.violation != nil { fail(outcome, scenario) }
            return
        }
        let outcomes = Mutex<[SimulationOutcome]>([])
        let (seeds, start, jobs) = (UInt64(self.seeds), self.start, self.jobs)
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            var seed = start + UInt64(job)
            while seed < start + seeds {
                let outcome = Simulation.run(seed: seed, scenario: scenario)
                if let violation = outcome.violation { print("seed \(seed): \(violation)") }
                outcomes.withLock { $0.append(outcome) }
                seed += UInt64(jobs)
            }
        }
        let all = outcomes.withLock { $0 }.sorted { $0.plan.seed < $1.plan.seed }
        print(summary(all, elapsed: ContinuousClock.now - began))
        if let first = all.first(where: { $0.violation != nil }) { fail(first, scenario) }
    }

    private func fail(_ outcome: SimulationOutcome, _ scenario: any SimulationScenario) -> Never {
        let shortened = Simulation.shrink(outcome, scenario: scenario, budget: shrinkBudget)
        print(Simulation.report(outcome, shortened: shortened, scenario: scenario))
        Foundation.exit(1)
    }

    private func failures(_ total: SimulationStatistics) -> String {
        let distinct = Dictionary(grouping: total.failures, by: { $0 }).sorted { $0.key < $1.key }
        return distinct.prefix(8).map { "\n    \($0.value.count)× \($0.key)" }.joined()
    }

    private func summary(_ outcomes: [SimulationOutcome], elapsed: Duration) -> String {
        var total = SimulationStatistics()
        outcomes.forEach { total.add($0.statistics) }
        let failed = outcomes.filter { $0.violation != nil }.count
        let crashes = total.crashes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let pauses = total.pauses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            \(outcomes.count) seed(s), \(failed) failed, in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))
              inputs \(total.inputs), loop turns \(total.turns), transactions committed \(total.transactionsCommitted), aborted \(total.transactionsAborted)
              crashes \(total.crashes.values.reduce(0, +)): \(crashes)
              pauses \(total.pauses.values.reduce(0, +)) (zombies \(total.zombies)): \(pauses)
              restarts \(total.restarts) on old state, \(total.freshRestarts) on fresh state; graceful stops \(total.stops); compactions \(total.compactions)
              unhandled runtime errors (instance restarted): \(total.failures.count)\(failures(total))
            """
    }
}
