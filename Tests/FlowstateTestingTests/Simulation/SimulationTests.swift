import Flowstate
import FlowstateKafka
import FlowstateTesting
import Foundation
import Testing

/// Exactly-once under crashes, pauses (zombies), restarts and rebalances, on the simulated
/// Kafka. Every failing seed prints its replay command and the shortest schedule found.
@Suite struct SimulationTests {
    static let batches = 8
    static let seedsPerBatch = 30

    private func expectHolds(_ seeds: [UInt64], scenario: any SimulationScenario = CountingScenario()) async {
        for report in await Simulation.violationReports(seeds: seeds, scenario: scenario, shrinkBudget: 60) {
            Issue.record(Comment(rawValue: report))
        }
    }

    /// 240 seeds (seeds 1…240), in parallel batches.
    @Test(arguments: 0..<batches)
    func countingHoldsEveryPropertyForEverySeed(batch: Int) async {
        let first = UInt64(batch * Self.seedsPerBatch + 1)
        await expectHolds(Array(first..<first + UInt64(Self.seedsPerBatch)))
    }

    /// Seeds that found runtime bugs, kept as regression tests:
    /// 2 and 22 — a zombie restoring with stale committed offsets skipped a committed changelog
    /// record and checkpointed past it; 17, 30 and 39 — restoration stopped at the last stable
    /// offset, missing committed transactions behind a crashed producer's open one.
    @Test(arguments: [UInt64(2), 17, 22, 30, 39])
    func seedsThatFoundBugsHold(seed: UInt64) async {
        await expectHolds([seed])
    }

    /// Seed 127: a zombie stopped gracefully found its final commit fenced and failed its
    /// thread; it now stops without committing.
    @Test func aFencedZombieStopsGracefullyWithoutFailing() {
        let outcome = Simulation.run(seed: 127, scenario: CountingScenario())
        #expect(outcome.violation == nil)
        #expect(outcome.statistics.failures.isEmpty, "\(outcome.statistics.failures)")
    }

    @Test func aRunIsReproducibleFromItsSeed() {
        let first = Simulation.run(seed: 4242, scenario: CountingScenario())
        let second = Simulation.run(seed: 4242, scenario: CountingScenario())
        #expect(first.events == second.events)
        #expect(first.statistics.turns == second.statistics.turns)
        #expect(first.statistics.transactionsCommitted == second.statistics.transactionsCommitted)
        #expect(first.statistics.crashes == second.statistics.crashes)
    }

    @Test func aWrongModelIsCaughtAndItsScheduleShortened() throws {
        let scenario = OffByOneScenario()
        let outcome = Simulation.run(seed: 5, scenario: scenario)
        let violation = try #require(outcome.violation)
        #expect(violation.property == .exactlyOnceOutputs)
        let shortened = Simulation.shrink(outcome, scenario: scenario, budget: 80)
        #expect(shortened.violation?.property == .exactlyOnceOutputs)
        #expect(shortened.plan.actions.count < outcome.plan.actions.count / 4)
        let report = Simulation.report(outcome, shortened: shortened, scenario: scenario)
        #expect(report.contains("swift run flowstate simulate --scenario off-by-one --seed 5"))
    }

    @Test func checkingSeedsOffThePoolReportsOnlyTheFailingOnes() async {
        let holding = await Simulation.violationReports(seeds: [1, 2], scenario: CountingScenario(), shrinkBudget: 10)
        #expect(holding.isEmpty, "\(holding)")
        let failing = await Simulation.violationReports(seeds: [5, 6], scenario: OffByOneScenario(), shrinkBudget: 10)
        #expect(failing.count == 2)
        #expect(failing.first?.hasPrefix("seed 5 ") == true, "\(failing)")
        #expect(failing.last?.contains("--seed 6") == true)
    }
}

/// The counting topology with a model that expects one record too many per key: every run
/// must break ``SimulationProperty/exactlyOnceOutputs``.
struct OffByOneScenario: SimulationScenario {
    let base = CountingScenario()
    var name: String { "off-by-one" }
    var applicationID: String { base.applicationID }
    var topics: [String: Int] { base.topics }
    var checkedOutputTopics: [String] { base.checkedOutputTopics }
    func makeTopology() throws -> Topology { try base.makeTopology() }
    func makeInput(_ random: inout SimulationRandom, after earlier: [SimulationInput]) -> SimulationInput {
        base.makeInput(&random, after: earlier)
    }
    func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation {
        var expectation = try base.expectation(for: inputs + inputs.prefix(1))
        expectation.stores = [:]
        return expectation
    }
}
