import Flowstate
import FlowstateTesting
import Foundation
import Saga
import StatementLifecycle
import Testing

/// The `flowstate_status_entities` counts the statement tasks keep.
@Suite struct StatementStatusCountsTests {
    func driver(_ counts: StatusCounts, stateDirectory: String) throws -> TopologyTestDriver {
        var machine = try StatementLifecycle.machine()
        machine.statusCountInterval = .seconds(1)
        let partitions = Dictionary(uniqueKeysWithValues: machine.topics.map { ($0, 4) })
        return try TopologyTestDriver(topology: try machine.topology(statusCounts: counts), applicationID: "statements",
                                      partitions: partitions, stateDirectory: stateDirectory, startTime: 1_000)
    }

    @Test func everyTaskCountsItsStatementsPerStatusAndWithdrawsWhenItCloses() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("counts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let counts = StatusCounts(machine: "statement")
        let driver = try driver(counts, stateDirectory: directory)
        let initiations = driver.inputTopic("statement.close-initiated", key: .string, value: .json(Statement.self))
        for index in 0..<12 {
            try initiations.pipeInput(key: "org-\(index)", value: Statement(id: "s\(index)", organisationId: "org-\(index)",
                                                                           amount: 100, paymentMethod: .manual))
        }
        let commands = driver.inputTopic("statement.commands", key: .string, value: .json(StateMachineCommand.self))
        for index in 0..<5 {
            try commands.pipeInput(key: "s\(index)", value: StateMachineCommand(entityID: "s\(index)", name: "approve", actor: "alice"))
        }
        // Counts follow the recount, not every transition.
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(counts.count(of: "closed") == 5)
        #expect(counts.count(of: "waiting-for-approval") == 7)
        #expect(counts.count(of: "approved") == 0, "every status has a gauge, empty ones at 0")

        // Closing the tasks (a rebalance or shutdown) withdraws their share.
        driver.close()
        #expect(StatementStatus.allCases.allSatisfy { counts.count(of: $0.rawValue) == 0 })

        // Restarted on the same state, the tasks count what they restored before any record.
        let restarted = try self.driver(counts, stateDirectory: directory)
        defer { restarted.close() }
        _ = try restarted.keyValueStore("statement-entities", key: String.self, value: Statement.self)
        #expect(counts.count(of: "closed") == 5)
        #expect(counts.count(of: "waiting-for-approval") == 7)
    }

    @Test func countingCanBeTurnedOff() throws {
        var machine = try StatementLifecycle.machine()
        machine.statusCountInterval = nil
        let counts = StatusCounts(machine: "statement")
        let driver = try TopologyTestDriver(topology: try machine.topology(statusCounts: counts))
        defer { driver.close() }
        try driver.inputTopic("statement.close-initiated", key: .string, value: .json(Statement.self))
            .pipeInput(key: "org", value: Statement(id: "s", organisationId: "org", amount: 1, paymentMethod: .manual))
        try driver.advanceWallClockTime(by: .seconds(10))
        #expect(counts.count(of: "waiting-for-approval") == 0)
    }
}
