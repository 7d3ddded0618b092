import FlowstateSimulationScenarios
import FlowstateTesting
import Testing

/// The statement lifecycle under crashes, pauses (zombies), restarts and rebalances on the
/// simulated Kafka: every statement ends closed or waiting for approval as the model says,
/// each transition once in its status topic, histories in order.
@Suite struct StatementScenarioTests {
    static let batches = 3
    static let seedsPerBatch = 8

    /// 24 seeds (1…24), in parallel batches.
    @Test(arguments: 0..<batches)
    func theStatementLifecycleHoldsEveryPropertyForEverySeed(batch: Int) {
        let first = UInt64(batch * Self.seedsPerBatch + 1)
        for seed in first..<first + UInt64(Self.seedsPerBatch) { expectHolds(seed, StatementScenario()) }
    }

    /// Seed 8 found that restoration applies committed records past its checkpoint after a
    /// skipped one (a zombie restoring a task with several source partitions); the harness now
    /// accepts committed progress past a checkpoint and still rejects uncommitted writes.
    @Test func restorationPastACheckpointIsNotAnUncommittedWrite() {
        expectHolds(8, StatementScenario())
    }

    @Test func aModelWithTheWrongApprovalLimitIsCaught() throws {
        var scenario = StatementScenario()
        scenario.modelAutoApprovalLimit = scenario.autoApprovalLimit / 2
        let violation = try #require(Simulation.run(seed: 1, scenario: scenario).violation)
        #expect([.statementEndsInExpectedStatus, .statementHistoryInOrder, .transitionEmittedOnce, .commandDecidedOnce]
                    .contains(violation.property), "\(violation)")
    }
}

/// Runs `seed`; on a violation, records the report with the shortest schedule found.
func expectHolds(_ seed: UInt64, _ scenario: any SimulationScenario) {
    let outcome = Simulation.run(seed: seed, scenario: scenario)
    if outcome.violation != nil {
        let shortened = Simulation.shrink(outcome, scenario: scenario, budget: 40)
        Issue.record(Comment(rawValue: Simulation.report(outcome, shortened: shortened, scenario: scenario)))
    }
}
