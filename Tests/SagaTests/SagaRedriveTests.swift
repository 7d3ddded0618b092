import Flowstate
import FlowstateTesting
import Saga
import Testing

/// Re-driving sagas whose compensation failed; no worker runs, each test replies itself.
@Suite struct SagaRedriveTests {
    func orchestrator() throws -> TopologyTestDriver {
        let definition = try SagaDefinition(
            name: "demo", steps: [.command("svc.first", key: 1), .command("svc.second", key: 2)],
            retry: SagaRetryPolicy(maxAttempts: 1), compensationRetry: SagaRetryPolicy(maxAttempts: 1))
        return try TopologyTestDriver(topology: try SagaOrchestrator(definition).topology(), applicationID: "demo", startTime: 0)
    }

    func reply(_ driver: TopologyTestDriver, step: Int, attempt: Int = 1, outcome: SagaOutcome = .success) throws {
        let reply = SagaReply(transactionID: "t1", saga: "demo", stepKey: step, action: step > 0 ? .do : .undo,
                              idempotencyKey: "t1:\(step)", attempt: attempt, outcome: outcome, entity: nil, hints: nil,
                              errorContext: [:], message: outcome == .success ? nil : "refund service down", immediateRetries: 0)
        try driver.inputTopic("saga.reply.demo", key: .string, value: .json(SagaReply.self)).pipeInput(key: "t1", value: reply)
    }

    func redrive(_ driver: TopologyTestDriver, by actor: String) throws {
        try driver.inputTopic("saga.redrive.demo", key: .string, value: .json(SagaRedrive.self))
            .pipeInput(key: "t1", value: SagaRedrive(actor: actor))
    }

    func lastRejection(_ driver: TopologyTestDriver) throws -> SagaRejection? {
        try driver.records(of: "saga.rejections.demo").last.map { try JSONSerde<SagaRejection>().deserialize($0.value ?? []) }
    }

    @Test func aSagaWhoseCompensationFailedResumesFromTheFailedUndoAndNamesWhoReDroveIt() throws {
        let driver = try orchestrator()
        defer { driver.close() }
        try driver.startSaga("t1")
        try reply(driver, step: 1)
        try reply(driver, step: 2, outcome: .nonRetryable)
        try reply(driver, step: -1, outcome: .retryable)
        let failed = try #require(try driver.sagaInstance("t1"))
        #expect(failed.status == .compensationFailed)
        #expect(driver.records(of: "saga.dlq.demo").count == 1)

        try redrive(driver, by: "ops-alice")
        let resumed = try #require(try driver.sagaInstance("t1"))
        #expect(resumed.status == .compensating && resumed.currentStepKey == -1 && resumed.attempt == 1)
        let entry = try #require(resumed.history.first { $0.event == "redriven" })
        #expect(entry.detail == "by ops-alice" && entry.stepKey == -1)
        let undos = try driver.records(of: "saga.undo.svc.first").map { try JSONSerde<SagaCommand>().deserialize($0.value ?? []) }
        #expect(undos.count == 2 && undos.last?.attempt == 1, "the undo is sent again")
        try reply(driver, step: -1)
        #expect(try driver.sagaInstance("t1")?.status == .compensated)
    }

    @Test func reDrivingASagaThatDidNotFailIsRejectedWithTheReason() throws {
        let driver = try orchestrator()
        defer { driver.close() }
        try driver.startSaga("t1")
        try redrive(driver, by: "ops-bob")
        #expect(try lastRejection(driver)?.reason == "saga t1 is in-progress; only a saga whose compensation failed can be re-driven")
        #expect(try lastRejection(driver)?.received == "redrive by ops-bob")
        try driver.inputTopic("saga.redrive.demo", key: .string, value: .json(SagaRedrive.self))
            .pipeInput(key: "ghost", value: SagaRedrive(actor: "ops-bob"))
        #expect(try lastRejection(driver)?.reason == "unknown saga ghost")
        #expect(try driver.sagaInstance("t1")?.history.contains { $0.event == "redriven" } == false)
    }
}
