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
    func theStatementLifecycleHoldsEveryPropertyForEverySeed(batch: Int) async {
        let first = UInt64(batch * Self.seedsPerBatch + 1)
        await expectHolds(Array(first..<first + UInt64(Self.seedsPerBatch)), StatementScenario())
    }

    /// Seed 8 found that restoration applies committed records past its checkpoint after a
    /// skipped one (a zombie restoring a task with several source partitions); the harness now
    /// accepts committed progress past a checkpoint and still rejects uncommitted writes.
    @Test func restorationPastACheckpointIsNotAnUncommittedWrite() async {
        await expectHolds([8], StatementScenario())
    }

    @Test func aModelWithTheWrongApprovalLimitIsCaught() throws {
        var scenario = StatementScenario()
        scenario.modelAutoApprovalLimit = scenario.autoApprovalLimit / 2
        let violation = try #require(Simulation.run(seed: 1, scenario: scenario).violation)
        #expect([.statementEndsInExpectedStatus, .statementHistoryInOrder, .transitionEmittedOnce, .commandDecidedOnce]
                    .contains(violation.property), "\(violation)")
    }
}

/// Runs `seeds` off the cooperative pool; records each violation with the shortest schedule found.
func expectHolds(_ seeds: [UInt64], _ scenario: any SimulationScenario) async {
    for report in await Simulation.violationReports(seeds: seeds, scenario: scenario, shrinkBudget: 40) {
        Issue.record(Comment(rawValue: report))
    }
}
