import Flowstate
import FlowstateTesting
import Foundation
import Saga
import Testing

/// Version 1's loan with `amount` renamed to `principal`: stored version-1 loans lack it.
private struct LoanRenamedAmount: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case draft, submitted, approved }
    var id: String
    var branch: String
    var status: Status
    var principal: Int
    var partitionKey: String { branch }
}

/// Version 1's machine over ``LoanRenamedAmount``.
private func renamedMachine() throws -> StateMachine<LoanRenamedAmount> {
    var machine = StateMachine<LoanRenamedAmount>(name: "loan", initial: .draft)
    try machine.transition(from: .draft, to: .submitted)
    try machine.transition(from: .submitted, to: .approved, command: "approve")
    return machine
}

/// An incompatible change to a machine's entity type fails loudly instead of dead-lettering.
@Suite struct IncompatibleEntityUpgradeTests {
    @Test func aCommandToAnEntityTheNewTypeCannotDecodeFailsNamingStoreKeyAndField() throws {
        let directory = "/tmp/flowstate-entity-upgrade-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TopologyTestDriver(topology: try loanMachineV1().topology(), applicationID: "loans", stateDirectory: directory)
        try first.inputTopic("loan.draft", key: .string, value: .json(LoanV1.self))
            .pipeInput(key: "south", value: LoanV1(id: "l1", branch: "south", status: .draft, amount: 100))
        #expect(try first.keyValueStore("loan-entities", key: String.self, value: LoanV1.self).get("l1")?.status == .submitted)
        first.close()

        let driver = try TopologyTestDriver(topology: try renamedMachine().topology(), applicationID: "loans", stateDirectory: directory)
        defer { driver.close() }
        #expect {
            try driver.inputTopic("loan.commands", key: .string, value: .json(StateMachineCommand.self))
                .pipeInput(key: "l1", value: StateMachineCommand(entityID: "l1", name: "approve", actor: "officer"))
        } throws: { error in
            guard let error = error as? FlowstateError else { return false }
            return error.code == .undecodableStoredValue && error.message.contains("store 'loan-entities', key 'l1'")
                && error.message.contains("LoanRenamedAmount") && error.message.contains("missing key 'principal'")
        }
        #expect(driver.deadLetters.isEmpty, "the command is not dead-lettered")
        #expect(driver.records(of: "loan.rejections").isEmpty)
    }

    @Test func anApplicationMeetingSuchAnEntityFailsWithThatErrorAndDeadLettersNothing() async throws {
        let cluster = try LoanCluster(topics: try loanMachineV1().topics, partitions: 1)
        let config = cluster.config(pod: "pod-0")
        let first = FlowstateApplication(topology: try loanMachineV1().topology(), config: config, embeddedCluster: cluster.cluster)
        let running = Task { try await first.run() }
        try await cluster.publish([LoanV1(id: "l1", branch: "south", status: .draft, amount: 100)], to: "loan.draft") { $0.branch }
        #expect(try await eventually {
            await storedValue(LoanV1.self, store: "loan-entities", key: "l1", partitionKey: "south", in: [first])?.status == .submitted
        })
        first.triggerShutdown()
        try await running.value

        let second = FlowstateApplication(topology: try renamedMachine().topology(), config: config, embeddedCluster: cluster.cluster)
        let secondRun = Task { try await second.run() }
        try await cluster.publish([StateMachineCommand(entityID: "l1", name: "approve", actor: "officer")], to: "loan.commands") { $0.entityID }
        #expect(try await eventually(timeout: .seconds(60)) { second.failure != nil })
        let failure = try #require(second.failure)
        #expect(failure.code == .undecodableStoredValue)
        #expect(failure.message.contains("store 'loan-entities', key 'l1'") && failure.message.contains("principal"))
        #expect(second.deadLetteredRecords == 0)
        second.triggerShutdown()
        _ = try? await secondRun.value
    }
}
