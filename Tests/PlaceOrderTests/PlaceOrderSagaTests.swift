import Flowstate
import FlowstateTesting
import PlaceOrder
import Saga
import Testing

/// The place-order orchestrator and its worker in one test driver: commands and replies
/// flow between them synchronously; deferred retries fire as the wall clock advances.
final class PlaceOrderHarness {
    let driver: TopologyTestDriver
    let starts: TestInputTopic<String, JSONObject>

    init(_ options: PlaceOrder.Options = PlaceOrder.Options()) throws {
        let builder = TopologyBuilder()
        try PlaceOrder.orchestrator(options).addTo(builder)
        try PlaceOrder.worker(options).addTo(builder)
        driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "place-order", startTime: 10_000)
        starts = driver.inputTopic("saga.start.place-order", key: .string, value: .json(JSONObject.self))
    }

    func start(_ id: String, _ order: JSONObject = [:]) throws {
        var entity: JSONObject = ["username": "alice", "total_amount": 120]
        entity.merge(order) { $1 }
        try starts.pipeInput(key: id, value: entity)
    }

    func instance(_ id: String) throws -> SagaInstance {
        try #require(try driver.keyValueStore("place-order-instances", key: String.self, value: SagaInstance.self).get(id))
    }

    /// Signed step keys of the commands sent for `id`, in the order the orchestrator sent them.
    func sent(_ id: String) throws -> [Int] {
        try instance(id).history.filter { $0.event == "command-sent" }.compactMap(\.stepKey)
    }

    /// The commands for `id` on the topic of signed step key `step`, in order.
    func commands(_ id: String, step: Int) throws -> [SagaCommand] {
        let suffix = ["user-service.validate-user", "payment-service.make-payment", "inventory-service.reserve-items",
                      "shipping-service.schedule-delivery"][abs(step) - 1]
        return try driver.records(of: (step > 0 ? "saga.do." : "saga.undo.") + suffix)
            .map { try JSONSerde<SagaCommand>().deserialize($0.value ?? []) }.filter { $0.transactionID == id }
    }

    func replies(_ id: String) throws -> [SagaReply] {
        try driver.records(of: "saga.reply.place-order").map { try JSONSerde<SagaReply>().deserialize($0.value ?? []) }
            .filter { $0.transactionID == id }
    }

    func events(_ id: String) throws -> [String] { try instance(id).history.map(\.event) }
}

@Suite struct PlaceOrderSagaTests {
    @Test func aSagaWhoseStepsAllSucceedCompletesWithTheEntityBuiltByEachStep() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-1")
        let instance = try harness.instance("tx-1")
        #expect(instance.status == .completed)
        #expect(instance.entity["is_user_validated"] == true)
        #expect(instance.entity["payment_reference_id"] == "pay-tx-1:2")
        #expect(instance.entity["reservation_id"] == "res-tx-1:3")
        #expect(instance.entity["delivery_id"] == "del-tx-1:4")
        #expect(instance.entity["last_completed_step"] == 4)
        #expect(instance.completedCommandSteps == [2, 3, 4])
        #expect(try harness.sent("tx-1") == [1, 2, 3, 4])
        #expect(try (1...4).flatMap { try harness.commands("tx-1", step: $0).map(\.idempotencyKey) } == ["tx-1:1", "tx-1:2", "tx-1:3", "tx-1:4"])
        #expect(instance.history.first?.status == .started)
        #expect(instance.history.last?.event == "completed")
    }

    @Test func aFailureAtTheLastStepCompensatesTheCommandStepsInReverseOrderWithContextAndHints() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-2", ["no_courier": true])
        let instance = try harness.instance("tx-2")
        #expect(instance.status == .compensated)
        #expect(try harness.sent("tx-2") == [1, 2, 3, 4, -3, -2])
        #expect(instance.errorContext == ["error_code": "NO_COURIER"])
        #expect(instance.failure == "step 4 failed: no courier available")
        // The error context reached the refund; the release's hint reached the refund too.
        #expect(instance.hints["refund_reason"] == "NO_COURIER")
        #expect(instance.hints["released_reservation"] == "res-tx-2:3")
        #expect(instance.hints["refund_saw_release"] == true)
        #expect(instance.hints["undone_steps"] == [-3, -2])
        let release = try harness.commands("tx-2", step: -3), refund = try harness.commands("tx-2", step: -2)
        #expect((release + refund).allSatisfy { $0.errorContext == ["error_code": "NO_COURIER"] })
        #expect(release.first?.hints["released_reservation"] == nil)
        #expect(refund.first?.hints["released_reservation"] == "res-tx-2:3", "the refund received the release's hint")
        #expect(release.first?.entity["reservation_id"] == "res-tx-2:3", "undo steps get the last entity state")
        // The failed step's changes never reached the entity.
        #expect(instance.entity["delivery_id"] == nil)
        #expect(try harness.events("tx-2").suffix(7) == ["step-failed", "compensation-started", "command-sent", "undo-succeeded",
                                                         "command-sent", "undo-succeeded", "compensated"])
        #expect(try harness.events("tx-2").last == "compensated")
    }

    @Test func aRetryableFailureIsRetriedLaterWithTheSameIdempotencyKeyAndThenSucceeds() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-3", ["payment_transient_failures": 2])
        #expect(try harness.instance("tx-3").status == .inProgress)
        #expect(try harness.sent("tx-3") == [1, 2])
        // Backoff after attempt 1 is 500 ms: nothing at 499 ms.
        try harness.driver.advanceWallClockTime(by: .milliseconds(499))
        #expect(try harness.sent("tx-3").count == 2)
        try harness.driver.advanceWallClockTime(by: .milliseconds(201))
        #expect(try harness.commands("tx-3", step: 2).map(\.attempt) == [1, 2])
        // Backoff after attempt 2 doubles to 1,000 ms.
        try harness.driver.advanceWallClockTime(by: .milliseconds(800))
        #expect(try harness.sent("tx-3").count == 3)
        try harness.driver.advanceWallClockTime(by: .milliseconds(400))
        let instance = try harness.instance("tx-3")
        #expect(instance.status == .completed)
        #expect(instance.retries == 2)
        let payments = try harness.commands("tx-3", step: 2)
        #expect(payments.map(\.attempt) == [1, 2, 3])
        #expect(Set(payments.map(\.idempotencyKey)) == ["tx-3:2"])
        #expect(instance.history.filter { $0.event == "retry-scheduled" }.count == 2)
    }

    @Test func exhaustedRetriesFailTheStepAndCompensateWhatCompleted() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-4", ["payment_transient_failures": 99])
        for _ in 0..<20 { try harness.driver.advanceWallClockTime(by: .seconds(1)) }
        let instance = try harness.instance("tx-4")
        #expect(instance.status == .compensated)
        #expect(try harness.commands("tx-4", step: 2).count == 4, "maxAttempts 4")
        #expect(instance.failure?.hasPrefix("step 2 failed after 4 attempts") == true)
        #expect(try harness.sent("tx-4").allSatisfy { $0 > 0 }, "the query step has nothing to undo")
    }

    @Test func immediatelyRetryableFailuresAreRetriedInTheWorkerBeforeAnyReply() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-5", ["payment_flaky": 2])
        #expect(try harness.instance("tx-5").status == .completed)
        let payment = try #require(try harness.replies("tx-5").first { $0.stepKey == 2 })
        #expect(payment.outcome == .success)
        #expect(payment.immediateRetries == 2)
        #expect(try harness.instance("tx-5").retries == 0)
    }

    @Test func exhaustedImmediateRetriesEscalateToADeferredRetry() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-6", ["payment_flaky": 5])
        let payment = try #require(try harness.replies("tx-6").first { $0.stepKey == 2 })
        #expect(payment.outcome == .retryable)
        #expect(payment.immediateRetries == 2, "maxAttempts 3 = the first try and 2 retries")
        #expect(try harness.instance("tx-6").history.last?.event == "retry-scheduled")
    }

    @Test func aCompensationThatKeepsFailingEndsInCompensationFailedOnTheDeadLetterTopic() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-7", ["no_courier": true, "refund_fails": true])
        for _ in 0..<10 { try harness.driver.advanceWallClockTime(by: .seconds(1)) }
        let instance = try harness.instance("tx-7")
        #expect(instance.status == .compensationFailed)
        #expect(try harness.commands("tx-7", step: -2).count == 3, "compensation maxAttempts 3")
        #expect(instance.failure?.hasPrefix("undo of step 2 failed after 3 attempts") == true)
        let dead = harness.driver.records(of: "saga.dlq.place-order")
        #expect(dead.count == 1)
        #expect(try JSONSerde<SagaInstance>().deserialize(dead[0].value ?? []).status == .compensationFailed)
    }

    @Test func aNonRetryableFailureAtTheFirstStepCompensatesNothing() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-8", ["user_blocked": true])
        let instance = try harness.instance("tx-8")
        #expect(instance.status == .compensated)
        #expect(instance.errorContext == ["error_code": "USER_BLOCKED"])
        #expect(try harness.sent("tx-8") == [1])
    }

    @Test func onNextThrowingForcesCompensationOfTheStepThatJustCompleted() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-9", ["total_amount": 2_000_000])
        let instance = try harness.instance("tx-9")
        #expect(instance.status == .compensated)
        #expect(try harness.sent("tx-9") == [1, 2, -2])
        #expect(instance.errorContext.isEmpty, "onNext failures carry no context")
        #expect(instance.hints["refund_reason"] == "unknown")
        #expect(instance.failure?.contains("exceeds the fraud limit") == true)
    }

    @Test func aSecondStartWithTheSameTransactionIDIsRejected() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-10")
        try harness.start("tx-10")
        let rejections = harness.driver.records(of: "saga.rejections.place-order")
        #expect(rejections.count == 1)
        #expect(try JSONSerde<SagaRejection>().deserialize(rejections[0].value ?? []).reason == "saga tx-10 already exists (completed)")
    }

    @Test func everyHistoryEntryIsPublishedAsAnEvent() throws {
        let harness = try PlaceOrderHarness()
        try harness.start("tx-11", ["out_of_stock": true])
        let events = try harness.driver.records(of: "saga.events.place-order")
            .map { try JSONSerde<SagaEvent>().deserialize($0.value ?? []) }
        #expect(events.map(\.event) == (try harness.events("tx-11")))
        #expect(events.last?.status == .compensated)
    }
}
