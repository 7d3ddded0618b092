import FlowstateKafka
import Foundation

extension Simulation {
    /// Runs `seeds` one after another on a thread of their own and reports each that breaks a
    /// property, with the shortest failing schedule found in `shrinkBudget` runs.
    ///
    /// Checking seeds is long, CPU-bound work. On the cooperative pool (two threads on a
    /// two-core machine) it would hold back every other task in the process, such as tests
    /// that wait on sockets with timeouts; on a thread of its own the kernel shares the cores.
    ///
    /// - Returns: One report (``report(_:shortened:scenario:)``) per failing seed; empty when all hold.
    package static func violationReports(seeds: [UInt64], scenario: any SimulationScenario,
                                         parameters: Parameters = Parameters(), shrinkBudget: Int) async -> [String] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                nameCurrentThread("fs-simulation")
                var reports: [String] = []
                for seed in seeds {
                    let outcome = run(seed: seed, scenario: scenario, parameters: parameters)
                    guard outcome.violation != nil else { continue }
                    let shortened = shrink(outcome, scenario: scenario, parameters: parameters, budget: shrinkBudget)
                    reports.append(report(outcome, shortened: shortened, scenario: scenario))
                }
                continuation.resume(returning: reports)
            }
            thread.name = "fs-simulation"
            thread.start()
        }
    }
}
