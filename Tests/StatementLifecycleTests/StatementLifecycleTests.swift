import Flowstate
import FlowstateTesting
import Saga
import StatementLifecycle
import Testing

/// Drives the statement lifecycle through the test driver.
final class StatementHarness {
    let driver: TopologyTestDriver
    let machine: StateMachine<Statement>
    let initiations: TestInputTopic<String, Statement>
    let commands: TestInputTopic<String, StateMachineCommand>
    let rejections: TestOutputTopic<String, StateMachineRejection>

    init(_ options: StatementLifecycle.Options = .init()) throws {
        machine = try StatementLifecycle.machine(options)
        driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "statements", startTime: 1_000)
        initiations = driver.inputTopic("statement.close-initiated", key: .string, value: .json(Statement.self))
        commands = driver.inputTopic("statement.commands", key: .string, value: .json(StateMachineCommand.self))
        rejections = driver.outputTopic("statement.rejections", key: .string, value: .json(StateMachineRejection.self))
    }

    func initiate(_ id: String, org: String = "org-1", amount: Int = 5_000, method: Statement.PaymentMethod = .directDebit) throws {
        try initiations.pipeInput(key: org, value: Statement(id: id, organisationId: org, amount: amount, paymentMethod: method))
    }

    func approve(_ id: String, actor: String = "alice") throws {
        try commands.pipeInput(key: id, value: StateMachineCommand(entityID: id, name: "approve", actor: actor))
    }

    func statement(_ id: String) throws -> Statement? {
        try driver.keyValueStore("statement-entities", key: String.self, value: Statement.self).get(id)
    }

    func history(_ id: String) throws -> [LifecycleEvent] {
        try driver.keyValueStore("statement-history", key: String.self, value: [LifecycleEvent].self).get(id) ?? []
    }

    /// The statements emitted to a status topic (the topic of `status`), in order.
    func emitted(_ status: StatementStatus) throws -> [TestRecord<String, Statement>] {
        try driver.outputTopic("statement.\(status.rawValue)", key: .string, value: .json(Statement.self)).readRecordsToList()
    }
}

@Suite struct StatementLifecycleTests {
    @Test func aDirectDebitStatementWalksEveryStatusInOrderOnceApproved() throws {
        let harness = try StatementHarness()
        try harness.initiate("s1", org: "org-7")
        #expect(try harness.statement("s1")?.status == .waitingForApproval)
        try harness.approve("s1", actor: "alice")
        let closed = try harness.statement("s1")
        #expect(closed?.status == .closed)
        #expect(closed?.updatedBy == "system")
        let path: [StatementStatus] = [.closeInitiated, .waitingForApproval, .approved, .directDebitInitiated,
                                       .paymentReceivedInitiated, .paymentReceived, .closed]
        #expect(try harness.history("s1").map(\.status) == path.map(\.rawValue))
        #expect(try harness.history("s1").map(\.actor) == ["external", "system", "alice", "system", "system", "system", "system"])
        for status in path.dropFirst() {
            let records = try harness.emitted(status)
            #expect(records.count == 1, "one transition to \(status.rawValue)")
            #expect(records.first?.key == "org-7", "keyed by organisation")
            #expect(records.first?.value.status == status)
        }
        #expect(try harness.emitted(.paymentInitiated).isEmpty)
        #expect(harness.rejections.isEmpty)
    }

    @Test func aManualPaymentReachesClosedThroughPaymentInitiated() throws {
        let harness = try StatementHarness()
        try harness.initiate("s2", method: .manual)
        try harness.approve("s2")
        #expect(try harness.statement("s2")?.status == .closed)
        #expect(try harness.history("s2").map(\.status) == [
            "close-initiated", "waiting-for-approval", "approved", "payment-initiated", "payment-received-initiated",
            "payment-received", "closed",
        ])
        #expect(try harness.emitted(.directDebitInitiated).isEmpty)
    }

    @Test func withoutApprovalAStatementWaits() throws {
        let harness = try StatementHarness()
        try harness.initiate("s3")
        try harness.driver.advanceWallClockTime(by: .seconds(3600))
        #expect(try harness.statement("s3")?.status == .waitingForApproval)
        #expect(try harness.emitted(.approved).isEmpty)
    }

    @Test func aStatementWaitingTooLongIsEscalatedOnceAndAPersonStillApprovesIt() throws {
        let harness = try StatementHarness(.init(escalateAfter: .seconds(86_400)))
        try harness.initiate("late")
        try harness.initiate("prompt")
        try harness.approve("prompt", actor: "bob")
        try harness.driver.advanceWallClockTime(by: .seconds(86_399))
        #expect(try harness.statement("late")?.status == .waitingForApproval)
        try harness.driver.advanceWallClockTime(by: .seconds(2))
        #expect(try harness.statement("late")?.status == .escalated)
        try harness.driver.advanceWallClockTime(by: .seconds(86_400 * 3))
        let escalations = try harness.emitted(.escalated)
        #expect(escalations.map(\.value.id) == ["late"], "once, and only the statement still waiting")
        try harness.approve("late", actor: "carol")
        #expect(try harness.statement("late")?.status == .closed)
        #expect(try harness.history("late").map(\.status).prefix(4) == ["close-initiated", "waiting-for-approval", "escalated", "approved"])
        #expect(try harness.history("late").map(\.actor).prefix(4) == ["external", "system", "timeout", "carol"])
        #expect(try harness.statement("prompt")?.status == .closed)
    }

    @Test func autoApprovalApprovesAmountsWithinTheLimitOnly() throws {
        let harness = try StatementHarness(.init(autoApprovalLimit: 10_000))
        try harness.initiate("small", amount: 9_999)
        try harness.initiate("large", amount: 10_001)
        #expect(try harness.statement("small")?.status == .closed)
        #expect(try harness.history("small").first { $0.status == "approved" }?.actor == "auto-approval")
        #expect(try harness.statement("large")?.status == .waitingForApproval)
    }

    @Test func anApprovalForAnUnknownStatementIsRejectedWithTheReasonOnceItsWaitIsOver() throws {
        let harness = try StatementHarness()
        try harness.approve("nope")
        #expect(try harness.rejections.readRecord() == nil, "it may still be indexed")
        try harness.driver.advanceWallClockTime(by: .seconds(30))
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.key == "nope")
        #expect(rejection.value.reason == "unknown statement nope")
        #expect(rejection.value.currentStatus == nil)
        #expect(try harness.statement("nope") == nil)
    }

    @Test func anApprovalThatOvertakesTheStatementsIndexEntryWaitsForIt() throws {
        let harness = try StatementHarness()
        try harness.approve("early", actor: "bahar")
        try harness.driver.advanceWallClockTime(by: .seconds(10))
        try harness.initiate("early")
        #expect(try harness.statement("early")?.status == .closed)
        #expect(try harness.history("early").first { $0.status == "approved" }?.actor == "bahar")
        try harness.driver.advanceWallClockTime(by: .seconds(60))
        #expect(try harness.rejections.readRecord() == nil)
    }

    @Test func anApprovalInTheWrongStateIsRejectedAndChangesNothing() throws {
        let harness = try StatementHarness()
        try harness.initiate("s4")
        try harness.approve("s4")
        let before = try harness.history("s4")
        try harness.approve("s4", actor: "bob")
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.value.currentStatus == "closed")
        #expect(rejection.value.received == "command approve")
        #expect(rejection.value.reason == "approve is not valid when statement is closed")
        #expect(try harness.history("s4") == before)
    }

    @Test func anUnknownCommandIsRejectedNamingTheAcceptedOnes() throws {
        let harness = try StatementHarness()
        try harness.initiate("s5")
        try harness.commands.pipeInput(key: "s5", value: StateMachineCommand(entityID: "s5", name: "close", actor: "eve"))
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.value.reason == "close is not valid when statement is waiting-for-approval (accepted: approve)")
        #expect(try harness.statement("s5")?.status == .waitingForApproval)
    }

    @Test func aDuplicateInitiationIsRejectedAsStale() throws {
        let harness = try StatementHarness()
        try harness.initiate("s6")
        try harness.initiate("s6")
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.value.reason == "statement s6 is waiting-for-approval, not close-initiated")
        #expect(try harness.history("s6").count == 2)
    }

    @Test func anEventForAnUnknownStatementInALaterStatusIsRejected() throws {
        let harness = try StatementHarness()
        let stray = Statement(id: "ghost", organisationId: "org-1", status: .approved, amount: 1, paymentMethod: .manual)
        try harness.driver.inputTopic("statement.approved", key: .string, value: .json(Statement.self))
            .pipeInput(key: "org-1", value: stray)
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.value.reason == "unknown statement ghost: new entities start in close-initiated")
        #expect(try harness.statement("ghost") == nil)
    }

    @Test func malformedJSONGoesToTheDeadLetterTopicAndChangesNothing() throws {
        let harness = try StatementHarness()
        try harness.initiations.pipeRaw(key: Array("org-1".utf8), value: Array("{\"id\": 1".utf8))
        #expect(harness.driver.deadLetters.count == 1)
        #expect(harness.driver.deadLetters.first?.stage == "deserialization")
        #expect(try harness.driver.keyValueStore("statement-entities", key: String.self, value: Statement.self).approximateCount() == 0)
    }

    @Test func theMachineRendersAsAMermaidStateDiagram() throws {
        let diagram = try StatementLifecycle.machine().mermaid()
        #expect(diagram.hasPrefix("stateDiagram-v2\n    [*] --> close_initiated\n"))
        #expect(diagram.contains("    waiting_for_approval --> approved : command approve\n"))
        #expect(diagram.contains("    approved --> direct_debit_initiated : [direct debit]\n"))
        #expect(diagram.contains("    closed --> [*]\n"))
        #expect(diagram.contains("state \"payment-received-initiated\" as payment_received_initiated"))
    }
}
