import Flowstate
import FlowstateTesting
import Saga
import Testing

/// A two-step saga whose behaviour each test chooses.
func twoStepSaga(onNextRevert: SagaDefinition.OnNextRevert? = nil,
                 second: @escaping SagaEndpoint.Body) throws -> TopologyTestDriver {
    let definition = try SagaDefinition(
        name: "demo", steps: [.command("svc.first", key: 1), .command("svc.second", key: 2)],
        retry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(100)),
        compensationRetry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(100)),
        onNextRevert: onNextRevert)
    let worker = try SagaWorker(name: "demo-worker", serving: ["demo"], endpoints: [
        .command("svc.first", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero)) { _ in } undo: { execution in
            execution.hints["undone"] = "first"
        },
        .command("svc.second", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero), do: second) { _ in },
    ])
    let builder = TopologyBuilder()
    SagaOrchestrator(definition).addTo(builder)
    worker.addTo(builder)
    return try TopologyTestDriver(topology: try builder.build(), applicationID: "demo")
}

struct DatabaseDown: Error {}

extension TopologyTestDriver {
    func sagaInstance(_ id: String) throws -> SagaInstance? {
        try keyValueStore("demo-instances", key: String.self, value: SagaInstance.self).get(id)
    }

    func startSaga(_ id: String) throws {
        try inputTopic("saga.start.demo", key: .string, value: .json(JSONObject.self)).pipeInput(key: id, value: ["n": .int(1)])
    }
}

@Suite struct SagaOrchestratorTests {
    @Test func anUnhandledErrorIsNonRetryableWithoutContext() throws {
        let driver = try twoStepSaga { _ in throw DatabaseDown() }
        try driver.startSaga("t1")
        let instance = try #require(try driver.sagaInstance("t1"))
        #expect(instance.status == .compensated)
        #expect(instance.errorContext.isEmpty)
        #expect(instance.failure?.hasPrefix("step 2 failed with an unhandled error: DatabaseDown") == true)
        #expect(instance.hints["undone"] == "first")
    }

    @Test func onNextRevertThrowingTerminatesCompensation() throws {
        struct Veto: Error {}
        let driver = try twoStepSaga(onNextRevert: { _, _, _ in throw Veto() }) { _ in
            throw SagaEndpointError.nonRetryable("no", context: ["why": "test"])
        }
        try driver.startSaga("t2")
        let instance = try #require(try driver.sagaInstance("t2"))
        #expect(instance.status == .compensationFailed)
        #expect(instance.failure?.hasPrefix("onNextRevert after step -1 threw") == true)
        #expect(driver.records(of: "saga.dlq.demo").count == 1)
    }

    @Test func aStaleReplyIsRejectedAndChangesNothing() throws {
        let driver = try twoStepSaga { _ in throw SagaEndpointError.retryable("later") }
        try driver.startSaga("t3")
        let before = try #require(try driver.sagaInstance("t3"))
        #expect(before.currentStepKey == 2 && before.attempt == 1)
        let stale = SagaReply(transactionID: "t3", saga: "demo", stepKey: 1, action: .do, idempotencyKey: "t3:1", attempt: 1,
                              outcome: .success, entity: ["n": 2], hints: nil, errorContext: [:], message: nil, immediateRetries: 0)
        try driver.inputTopic("saga.reply.demo", key: .string, value: .json(SagaReply.self)).pipeInput(key: "t3", value: stale)
        #expect(try driver.sagaInstance("t3") == before)
        let rejection = try JSONSerde<SagaRejection>().deserialize(driver.records(of: "saga.rejections.demo").last?.value ?? [])
        #expect(rejection.reason == "reply for step 1 attempt 1, but step 2 attempt 1 is in flight")
    }

    @Test func aReplyForAnUnknownSagaIsRejected() throws {
        let driver = try twoStepSaga { _ in }
        let reply = SagaReply(transactionID: "ghost", saga: "demo", stepKey: 1, action: .do, idempotencyKey: "ghost:1",
                              attempt: 1, outcome: .success, entity: nil, hints: nil, errorContext: [:], message: nil,
                              immediateRetries: 0)
        try driver.inputTopic("saga.reply.demo", key: .string, value: .json(SagaReply.self)).pipeInput(key: "ghost", value: reply)
        let rejection = try JSONSerde<SagaRejection>().deserialize(driver.records(of: "saga.rejections.demo").last?.value ?? [])
        #expect(rejection.reason == "unknown saga ghost")
    }

    @Test func anUndoMayOnlyFailRetryably() throws {
        let definition = try SagaDefinition(name: "demo", steps: [.command("svc.first", key: 1), .query("svc.check", key: 2)])
        let worker = try SagaWorker(name: "w", serving: ["demo"], endpoints: [
            .command("svc.first") { _ in } undo: { _ in throw SagaEndpointError.nonRetryable("cannot undo") },
            .query("svc.check") { _ in throw SagaEndpointError.nonRetryable("bad") },
        ])
        let builder = TopologyBuilder()
        SagaOrchestrator(definition).addTo(builder)
        worker.addTo(builder)
        let driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "demo")
        try driver.startSaga("t4")
        let instance = try #require(try driver.sagaInstance("t4"))
        #expect(instance.status == .compensationFailed)
        #expect(instance.failure == "undo of step 1 failed and may only fail retryably: cannot undo")
    }

    @Test func aCommandForASagaTheWorkerDoesNotServeGoesToTheDeadLetterTopic() throws {
        let worker = try SagaWorker(name: "w", serving: ["demo"], endpoints: [.query("svc.check") { _ in }])
        let builder = TopologyBuilder()
        worker.addTo(builder)
        let driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "w")
        let command = SagaCommand(transactionID: "t", saga: "other", stepKey: 1, action: .do, idempotencyKey: "t:1", attempt: 1,
                                  entity: [:], hints: [:], errorContext: [:])
        try driver.inputTopic("saga.do.svc.check", key: .string, value: .json(SagaCommand.self)).pipeInput(key: "t", value: command)
        #expect(driver.deadLetters.first?.reason.contains("does not serve saga other") == true)
    }

    @Test func listenersGroupSharedEndpointsAndIsolateTheOthersWithTheirConcurrency() throws {
        let worker = try SagaWorker(name: "shop-worker", serving: ["order"], endpoints: [
            .query("user.check", concurrency: 2) { _ in },
            .command("pay.make", primaryConcurrency: 3) { _ in } undo: { _ in },
            .command("stock.reserve", scope: .isolated, primaryConcurrency: 4, revertConcurrency: 2) { _ in } undo: { _ in },
        ])
        let listeners = try worker.listeners()
        #expect(listeners.map(\.applicationID) == ["shop-worker", "shop-worker-stock.reserve-do", "shop-worker-stock.reserve-undo"])
        #expect(listeners.map(\.threads) == [3, 4, 2])
        #expect(listeners[0].topics == ["saga.do.user.check", "saga.do.pay.make", "saga.undo.pay.make"])
        #expect(listeners[2].topics == ["saga.undo.stock.reserve"])
    }
}
