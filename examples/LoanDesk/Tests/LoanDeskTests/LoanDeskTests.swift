import Flowstate
import FlowstateTesting
import Foundation
import LoanDesk
import Saga
import Testing

/// A credit bureau for tests: answers at once (or fails as told), noting every enquiry.
final class RecordingCreditBureau: CreditBureau, @unchecked Sendable {
    /// How each call fails, by try number (1-based); calls not listed succeed with 700.
    let failures: [Int: CreditBureauError]
    /// How long each of the first calls hangs, by try number (before answering).
    let hangs: [Int: Duration]
    private let lock = NSLock()
    private var enquiries: [String] = []

    init(failures: [Int: CreditBureauError] = [:], hangs: [Int: Duration] = [:]) {
        self.failures = failures
        self.hangs = hangs
    }

    func score(applicantId: String, idempotencyKey: String) async throws -> Int {
        let call = lock.withLock { enquiries.append(idempotencyKey); return enquiries.count }
        if let hang = hangs[call] { try await Task.sleep(for: hang) }
        if let failure = failures[call] { throw failure }
        return applicantId.hasPrefix("poor-credit-") ? 540 : 700
    }

    /// The idempotency keys of every call, in order.
    var keys: [String] { lock.withLock { enquiries } }
}

/// Drives the loan machine through the test driver.
final class LoanDeskHarness {
    let driver: TopologyTestDriver
    let machine: StateMachine<LoanApplication>
    let submissions: TestInputTopic<String, LoanApplication>
    let commands: TestInputTopic<String, StateMachineCommand>
    let rejections: TestOutputTopic<String, StateMachineRejection>

    init(_ options: LoanDesk.Options = LoanDesk.Options(bureau: RecordingCreditBureau(), payoutLatency: .milliseconds(1))) throws {
        machine = try LoanDesk.machine(options)
        driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "loan", startTime: 1_000)
        submissions = driver.inputTopic("loan.submitted", key: .string, value: .json(LoanApplication.self))
        commands = driver.inputTopic("loan.commands", key: .string, value: .json(StateMachineCommand.self))
        rejections = driver.outputTopic("loan.rejections", key: .string, value: .json(StateMachineRejection.self))
    }

    func submit(_ id: String, applicant: String = "ada", amount: Int = 20_000, income: Int = 60_000) throws {
        try submissions.pipeInput(key: applicant, value: LoanApplication(id: id, applicantId: applicant, amountRequested: amount,
                                                                          annualIncome: income))
    }

    func command(_ id: String, _ name: String, actor: String, _ arguments: [String: String] = [:]) throws {
        try commands.pipeInput(key: id, value: StateMachineCommand(entityID: id, name: name, actor: actor, arguments: arguments))
    }

    func application(_ id: String) throws -> LoanApplication? {
        try driver.keyValueStore(machine.entityStore, key: String.self, value: LoanApplication.self).get(id)
    }

    func history(_ id: String) throws -> [LifecycleEvent] {
        try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get(id) ?? []
    }

    /// The applications emitted to the topic of `status`, in order.
    func emitted(_ status: LoanStatus) throws -> [TestRecord<String, LoanApplication>] {
        try driver.outputTopic(machine.topic(of: status), key: .string, value: .json(LoanApplication.self)).readRecordsToList()
    }
}

@Suite struct LoanDeskTests {
    @Test func anApplicationIsCreditCheckedWaitsForAnUnderwriterAndIsDisbursedOnceApproved() throws {
        let bureau = RecordingCreditBureau()
        let harness = try LoanDeskHarness(.init(bureau: bureau, payoutLatency: .milliseconds(1)))
        defer { harness.driver.close() }
        try harness.submit("loan-1", applicant: "ada")
        let waiting = try #require(try harness.application("loan-1"))
        #expect(waiting.status == .underwriting)
        #expect(waiting.creditScore == 700)
        #expect(bureau.keys == ["loan/loan-1/submitted/1"], "one enquiry, keyed by the transition")
        #expect(waiting.bureauReference == "enquiry-loan/loan-1/submitted/1")

        // Nothing moves until an underwriter decides.
        try harness.driver.advanceWallClockTime(by: .seconds(3_600))
        #expect(try harness.application("loan-1")?.status == .underwriting)
        #expect(try harness.emitted(.approved).isEmpty)

        try harness.command("loan-1", "approve", actor: "alice")
        let disbursed = try #require(try harness.application("loan-1"))
        #expect(disbursed.status == .disbursed)
        #expect(disbursed.underwriter == "alice")
        #expect(disbursed.approvedAmount == 20_000)
        #expect(disbursed.disbursementReference == "payout-loan/loan-1/approved/4")
        #expect(disbursed.updatedBy == "payments")
        let history = try harness.history("loan-1")
        #expect(history.map(\.status) == ["submitted", "credit-checked", "underwriting", "approved", "disbursed"])
        #expect(history.map(\.actor) == ["external", "credit-bureau", "lending-policy", "alice", "payments"])
        #expect(history.map(\.at) == history.map(\.at).sorted(), "in time order")
        for status in [LoanStatus.creditChecked, .underwriting, .approved, .disbursed] {
            let records = try harness.emitted(status)
            #expect(records.map(\.key) == ["ada"], "\(status.rawValue): once, keyed by the applicant")
        }
        #expect(harness.rejections.isEmpty)
    }

    @Test func anApproveCommandMayApproveLessThanRequested() throws {
        let harness = try LoanDeskHarness()
        defer { harness.driver.close() }
        try harness.submit("loan-2", amount: 30_000)
        try harness.command("loan-2", "approve", actor: "bob", ["amount": "25000"])
        #expect(try harness.application("loan-2")?.approvedAmount == 25_000)
        #expect(try harness.application("loan-2")?.status == .disbursed)
    }

    @Test func theLendingPolicyDeclinesAPoorScoreAndAnAmountTooLargeForTheIncomeWithoutAnUnderwriter() throws {
        let harness = try LoanDeskHarness()
        defer { harness.driver.close() }
        try harness.submit("loan-3", applicant: "poor-credit-bea")
        try harness.submit("loan-4", applicant: "cy", amount: 400_000, income: 50_000)
        let poor = try #require(try harness.application("loan-3"))
        #expect(poor.status == .declined)
        #expect(poor.declineReason == "credit score 540 is below 600")
        #expect(try harness.history("loan-3").map(\.actor) == ["external", "credit-bureau", "lending-policy"])
        let large = try #require(try harness.application("loan-4"))
        #expect(large.status == .declined)
        #expect(large.declineReason == "amount 400000 exceeds 5× the yearly income")
        #expect(try harness.emitted(.underwriting).isEmpty)
        #expect(try harness.emitted(.declined).map(\.value.id) == ["loan-3", "loan-4"])
    }

    @Test func anUnderwriterDeclinesWithAReason() throws {
        let harness = try LoanDeskHarness()
        defer { harness.driver.close() }
        try harness.submit("loan-5")
        try harness.command("loan-5", "decline", actor: "carol", ["reason": "employment not verified"])
        let declined = try #require(try harness.application("loan-5"))
        #expect(declined.status == .declined)
        #expect(declined.underwriter == "carol")
        #expect(declined.declineReason == "employment not verified")
        #expect(try harness.history("loan-5").map(\.status) == ["submitted", "credit-checked", "underwriting", "declined"])
        #expect(try harness.history("loan-5").last?.actor == "carol")
        #expect(try harness.emitted(.approved).isEmpty)
    }

    @Test func commandsThatDoNotFitTheApplicationAreRejectedWithTheReasonAndChangeNothing() throws {
        let harness = try LoanDeskHarness()
        defer { harness.driver.close() }
        try harness.submit("loan-6", amount: 10_000)
        let before = try harness.history("loan-6")

        // More than requested: the approval's guard fails.
        try harness.command("loan-6", "approve", actor: "dan", ["amount": "12000"])
        let tooMuch = try #require(try harness.rejections.readRecord())
        #expect(tooMuch.key == "loan-6")
        #expect(tooMuch.value.currentStatus == "underwriting")
        #expect(tooMuch.value.received == "command approve")
        #expect(tooMuch.value.reason == "approve is not valid when loan is underwriting (accepted: approve, decline)")

        // A command the machine does not have.
        try harness.command("loan-6", "disburse", actor: "dan")
        let unknown = try #require(try harness.rejections.readRecord())
        #expect(unknown.value.reason == "disburse is not valid when loan is underwriting (accepted: approve, decline)")
        #expect(try harness.application("loan-6")?.status == .underwriting)
        #expect(try harness.history("loan-6") == before)

        // A decision after the fact.
        try harness.command("loan-6", "approve", actor: "erin")
        try harness.command("loan-6", "decline", actor: "frank")
        let late = try #require(try harness.rejections.readRecord())
        #expect(late.value.currentStatus == "disbursed")
        #expect(late.value.reason == "decline is not valid when loan is disbursed")
        #expect(try harness.application("loan-6")?.underwriter == "erin")
    }

    @Test func aCommandForAnUnknownApplicationIsRejectedOnceItsWaitIsOver() throws {
        let harness = try LoanDeskHarness()
        defer { harness.driver.close() }
        try harness.command("nope", "approve", actor: "alice")
        try harness.driver.advanceWallClockTime(by: .seconds(30))
        let rejection = try #require(try harness.rejections.readRecord())
        #expect(rejection.value.reason == "unknown loan nope")
        #expect(rejection.value.currentStatus == nil)
    }

    @Test func aBureauThatIsDownIsAskedAgainLaterWithTheSameIdempotencyKeyWhileTheApplicationWaits() throws {
        // Both immediate tries fail; the first deferred attempt (1 s later) succeeds.
        let bureau = RecordingCreditBureau(failures: [1: .unavailable, 2: .unavailable])
        let harness = try LoanDeskHarness(.init(bureau: bureau, payoutLatency: .milliseconds(1)))
        defer { harness.driver.close() }
        try harness.submit("loan-7")
        #expect(try harness.application("loan-7")?.status == .submitted)
        #expect(bureau.keys.count == 1, "a retryable failure skips the immediate tries: \(bureau.keys)")
        try harness.driver.advanceWallClockTime(by: .milliseconds(1_100))
        #expect(bureau.keys.count == 2)
        #expect(try harness.application("loan-7")?.status == .submitted)
        try harness.driver.advanceWallClockTime(by: .milliseconds(2_100))
        #expect(try harness.application("loan-7")?.status == .underwriting)
        #expect(Set(bureau.keys) == ["loan/loan-7/submitted/1"], "one key for every try: \(bureau.keys)")
        #expect(try harness.history("loan-7").map(\.status) == ["submitted", "credit-checked", "underwriting"])
        #expect(harness.driver.deadLetters.isEmpty)
    }

    @Test func aBureauCallThatOutlivesItsTimeoutIsAbandonedAndRetried() throws {
        let bureau = RecordingCreditBureau(hangs: [1: .seconds(30)])
        let harness = try LoanDeskHarness(.init(bureau: bureau, payoutLatency: .milliseconds(1), bureauTimeout: .milliseconds(200)))
        defer { harness.driver.close() }
        let started = ContinuousClock.now
        try harness.submit("loan-8")
        for _ in 0..<5 where try harness.application("loan-8")?.status == .submitted {
            try harness.driver.advanceWallClockTime(by: .seconds(1))
        }
        #expect(try harness.application("loan-8")?.status == .underwriting)
        #expect(bureau.keys.count >= 2, "the hung call was tried again: \(bureau.keys)")
        #expect(Set(bureau.keys) == ["loan/loan-8/submitted/1"])
        #expect(ContinuousClock.now - started < .seconds(20), "the hung call did not hold the step")
    }

    @Test func anApplicantTheBureauDoesNotKnowGoesToTheDeadLetterTopicAtOnce() throws {
        let bureau = RecordingCreditBureau(failures: [1: .noCreditFile(applicantId: "ghost")])
        let harness = try LoanDeskHarness(.init(bureau: bureau))
        defer { harness.driver.close() }
        try harness.submit("loan-9", applicant: "ghost")
        // The submission that brought the application in is the triggering record: it goes to
        // the dead-letter topic whole, so the application is not stored at all.
        #expect(try harness.application("loan-9") == nil)
        #expect(harness.driver.deadLetters.count == 1)
        #expect(harness.driver.deadLetters.first?.reason.contains("the credit bureau has no file on ghost") == true,
                "\(harness.driver.deadLetters.map(\.reason))")
        try harness.driver.advanceWallClockTime(by: .seconds(10))
        #expect(bureau.keys.count == 1, "no retry")
    }

    @Test func theMachineIsValidAndRendersItsDiagram() throws {
        let machine = try LoanDesk.machine()
        #expect(throws: Never.self) { try machine.validate() }
        #expect(machine.terminalStatuses == [.declined, .disbursed])
        let diagram = machine.mermaid()
        #expect(diagram.contains("underwriting --> approved : command approve"), "\(diagram)")
    }
}
