import Flowstate
import FlowstateTesting
import Saga
import Testing

/// A saga whose second step's reply must come within 5 s; no worker runs, so each test
/// replies (or does not) itself.
@Suite struct SagaReplyTimeoutTests {
    func orchestrator() throws -> TopologyTestDriver {
        let definition = try SagaDefinition(
            name: "demo", steps: [.command("svc.first", key: 1), .command("svc.second", key: 2, replyTimeout: .seconds(5))],
            retry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .seconds(1)),
            compensationRetry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .seconds(1)))
        return try TopologyTestDriver(topology: try SagaOrchestrator(definition).topology(), applicationID: "demo", startTime: 0)
    }

    func reply(_ driver: TopologyTestDriver, step: Int, attempt: Int = 1, outcome: SagaOutcome = .success) throws {
        let reply = SagaReply(transactionID: "t1", saga: "demo", stepKey: step, action: step > 0 ? .do : .undo,
                              idempotencyKey: "t1:\(step)", attempt: attempt, outcome: outcome, entity: nil, hints: nil,
                              errorContext: [:], message: nil, immediateRetries: 0)
        try driver.inputTopic("saga.reply.demo", key: .string, value: .json(SagaReply.self)).pipeInput(key: "t1", value: reply)
    }

    func commands(_ driver: TopologyTestDriver, _ topic: String) throws -> [SagaCommand] {
        try driver.records(of: topic).map { try JSONSerde<SagaCommand>().deserialize($0.value ?? []) }
    }

    @Test func aReplyThatDoesNotComeInTimeIsRetriedThenCompensated() throws {
        let driver = try orchestrator()
        defer { driver.close() }
        try driver.startSaga("t1")
        try reply(driver, step: 1)
        try driver.advanceWallClockTime(by: .seconds(4))
        #expect(try driver.sagaInstance("t1")?.history.last?.event == "command-sent", "not yet")
        try driver.advanceWallClockTime(by: .seconds(2))
        let waiting = try #require(try driver.sagaInstance("t1"))
        #expect(waiting.history.last?.event == "retry-scheduled")
        #expect(waiting.history.last?.detail?.contains("no reply within 5.0 seconds") == true, "\(String(describing: waiting.history.last))")
        // The retry is sent after its backoff; its reply does not come either: retries are spent.
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(try commands(driver, "saga.do.svc.second").map(\.attempt) == [1, 2])
        try driver.advanceWallClockTime(by: .seconds(6))
        let compensating = try #require(try driver.sagaInstance("t1"))
        #expect(compensating.status == .compensating)
        #expect(compensating.failure == "step 2 failed after 2 attempts: no reply within 5.0 seconds")
        #expect(try commands(driver, "saga.undo.svc.first").count == 1, "the first step is undone")
        try reply(driver, step: -1)
        #expect(try driver.sagaInstance("t1")?.status == .compensated)
    }

    @Test func aReplyInTimeLeavesNoDeadlineBehind() throws {
        let driver = try orchestrator()
        defer { driver.close() }
        try driver.startSaga("t1")
        try reply(driver, step: 1)
        try driver.advanceWallClockTime(by: .seconds(3))
        try reply(driver, step: 2)
        try driver.advanceWallClockTime(by: .seconds(30))
        let instance = try #require(try driver.sagaInstance("t1"))
        #expect(instance.status == .completed)
        #expect(!instance.history.contains { $0.event == "retry-scheduled" })
    }

    @Test func aLateReplyBeforeTheRetryIsSentIsStillApplied() throws {
        let driver = try orchestrator()
        defer { driver.close() }
        try driver.startSaga("t1")
        try reply(driver, step: 1)
        try driver.advanceWallClockTime(by: .seconds(6))
        #expect(try driver.sagaInstance("t1")?.history.last?.event == "retry-scheduled")
        try reply(driver, step: 2)  // the first attempt's reply, late: the step did succeed
        try driver.advanceWallClockTime(by: .seconds(10))
        let instance = try #require(try driver.sagaInstance("t1"))
        #expect(instance.status == .completed)
        #expect(try commands(driver, "saga.do.svc.second").map(\.attempt) == [1], "the retry was not sent")
    }

    @Test func aReplyTimeoutMustBePositive() {
        #expect(throws: SagaDefinitionError.self) { try SagaStep.command("svc.x", key: 1, replyTimeout: .zero) }
    }
}
