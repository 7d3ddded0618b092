import Flowstate
import FlowstateTesting
import Foundation
import Saga
import StatementLifecycle
import Testing

/// Commands waiting for their statement's index entry across a restart.
@Suite struct StatementPendingCommandRestartTests {
    func driver(stateDirectory: String) throws -> TopologyTestDriver {
        let machine = try StatementLifecycle.machine()
        let partitions = Dictionary(uniqueKeysWithValues: machine.topics.map { ($0, 4) })
        return try TopologyTestDriver(topology: try machine.topology(), applicationID: "statements",
                                      partitions: partitions, stateDirectory: stateDirectory, startTime: 1_000)
    }

    @Test func anApprovalWaitingWhenTheTasksRestartIsRoutedWhenItsStatementArrives() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pending-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try driver(stateDirectory: directory)
        try first.inputTopic("statement.commands", key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "early", value: StateMachineCommand(entityID: "early", name: "approve", actor: "bahar"))
        first.close()

        let restarted = try driver(stateDirectory: directory)
        defer { restarted.close() }
        try restarted.inputTopic("statement.close-initiated", key: .string, value: .json(Statement.self))
            .pipeInput(key: "org-1", value: Statement(id: "early", organisationId: "org-1", amount: 5_000, paymentMethod: .directDebit))
        let statement = try restarted.keyValueStore("statement-entities", key: String.self, value: Statement.self).get("early")
        #expect(statement?.status == .closed)
        let history = try restarted.keyValueStore("statement-history", key: String.self, value: [LifecycleEvent].self).get("early") ?? []
        #expect(history.first { $0.status == "approved" }?.actor == "bahar")
        #expect(try restarted.outputTopic("statement.rejections", key: .string, value: .json(StateMachineRejection.self))
            .readRecord() == nil)
    }
}
