import FlowstateSimulationScenarios
import FlowstateTesting
import PlaceOrder
import Saga
import Testing

/// The place-order saga (orchestrator and worker) under crashes, pauses (zombies), restarts
/// and rebalances on the simulated Kafka, with deferred retries on the simulated wall clock:
/// every saga ends as the model says, compensations in reverse, each reply applied once.
@Suite struct PlaceOrderScenarioTests {
    static let batches = 3
    static let seedsPerBatch = 7

    /// 21 seeds (1…21), in parallel batches.
    @Test(arguments: 0..<batches)
    func thePlaceOrderSagaHoldsEveryPropertyForEverySeed(batch: Int) async {
        let first = UInt64(batch * Self.seedsPerBatch + 1)
        await expectHolds(Array(first..<first + UInt64(Self.seedsPerBatch)), PlaceOrderScenario())
    }

    /// Seed 3 found that a crash in the middle of a graceful stop left the instance's RocksDB
    /// open (the harness dropped the driver first): every restart then failed on the lock.
    @Test func aCrashWhileStoppingReleasesLocalState() {
        let outcome = Simulation.run(seed: 3, scenario: PlaceOrderScenario())
        #expect(outcome.violation == nil, "\(outcome.violation.map(String.init(describing:)) ?? "")")
        #expect(outcome.statistics.failures.isEmpty, "\(outcome.statistics.failures.prefix(2))")
    }

    /// Seed 7340044 found a zombie committing: instance 1, paused past its session, woke up and
    /// committed transactions that held only its wall-clock punctuations' work (the saga's
    /// timer checks). Those transactions carried no offset commit, so the group never checked
    /// that the committer was still a member. Every transaction now carries its tasks' positions.
    @Test func aZombieWhoseTransactionHoldsOnlyPunctuationsIsFenced() {
        let outcome = Simulation.run(seed: 7_340_044, scenario: PlaceOrderScenario())
        #expect(outcome.statistics.zombies > 0, "the seed still makes a zombie")
        #expect(outcome.violation == nil, "\(outcome.violation.map(String.init(describing:)) ?? "")")
    }

    @Test func aModelWithTheWrongCompensationRetriesIsCaught() throws {
        var scenario = PlaceOrderScenario()
        var assumed = scenario.options
        assumed.compensationRetry.maxAttempts = 2
        scenario.modelOptions = assumed
        let violation = try #require(Simulation.run(seed: 1, scenario: scenario).violation)
        #expect(violation.property == .sagaStepsInOrder, "\(violation)")
    }
}
