import Flowstate
import FlowstateTesting
import Foundation
import Testing

@Suite struct SimulationSeedTests {
    @Test func probeSeeds() throws {
        let scenario = CountingScenario()
        let count = Int(ProcessInfo.processInfo.environment["SIM_SEEDS"] ?? "10") ?? 10
        let start = UInt64(ProcessInfo.processInfo.environment["SIM_START"] ?? "1") ?? 1
        var total = SimulationStatistics()
        var failures = 0
        let began = ContinuousClock.now
        for seed in start..<start + UInt64(count) {
            let outcome = Simulation.run(seed: seed, scenario: scenario)
            total.add(outcome.statistics)
            if let violation = outcome.violation {
                failures += 1
                print("seed \(seed): \(violation)")
                if failures <= 1 { print(outcome.events.suffix(30).joined(separator: "\n")) }
            }
        }
        print("elapsed \(ContinuousClock.now - began); failures \(failures); stats \(total)")
    }
}
