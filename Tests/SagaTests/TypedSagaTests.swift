import Flowstate
import FlowstateTesting
import Saga
import Testing

/// The entity of the typed checkout saga: camelCase properties, snake_case JSON members
/// (`CodingKeys`), optionals for what the steps fill in.
struct CheckoutOrder: Codable, Equatable, Sendable {
    var username: String
    var totalAmount: Int
    var coupon: String?
    var paymentReferenceID: String?
    var trackingNumber: String?
    var lastCompletedStep: Int?

    enum CodingKeys: String, CodingKey {
        case username
        case totalAmount = "total_amount"
        case coupon
        case paymentReferenceID = "payment_reference_id"
        case trackingNumber = "tracking_number"
        case lastCompletedStep = "last_completed_step"
    }
}

/// A checkout saga mixing an untyped endpoint (reserve) with typed ones (charge, ship), with or
/// without typed hooks, orchestrator and worker in one test driver.
final class CheckoutHarness {
    let driver: TopologyTestDriver
    let starts: TestInputTopic<String, JSONObject>

    init(typedHooks: Bool = false) throws {
        let definition = try SagaDefinition(
            name: "checkout",
            steps: [.command("stock.reserve", key: 1), .command("payment.charge", key: 2), .command("shipping.ship", key: 3)],
            onNext: typedHooks ? SagaDefinition.onNext(entity: CheckoutOrder.self) { step, order in
                order.lastCompletedStep = step.key
            } : nil,
            onNextRevert: typedHooks ? SagaDefinition.onNextRevert(entity: CheckoutOrder.self) { step, order, hints in
                hints["undone_for_\(step.key)"] = .string(order.username)
            } : nil)
        let once = ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero)
        let worker = try SagaWorker(name: "checkout-worker", serving: ["checkout"], endpoints: [
            .command("stock.reserve", primaryRetry: once) { execution in
                execution.entity["reservation_id"] = .string("res-\(execution.idempotencyKey)")
            } undo: { execution in
                execution.hints["released"] = execution.entity["reservation_id"] ?? .null
                execution.hints["release_reason"] = .string(execution.errorContext["field"] ?? "none")
            },
            .command("payment.charge", entity: CheckoutOrder.self, primaryRetry: once) { order, execution in
                if order.coupon == "TEN" {
                    order.totalAmount -= 10
                    order.coupon = nil
                }
                order.paymentReferenceID = "pay-\(order.totalAmount)"
            } undo: { order, execution in
                execution.hints["refunded"] = .string(order.paymentReferenceID ?? "none")
            },
            .command("shipping.ship", entity: CheckoutOrder.self, primaryRetry: once) { order, execution in
                guard let payment = order.paymentReferenceID else {
                    throw SagaEndpointError.nonRetryable("not paid")
                }
                if order.username == "mallory" { throw SagaEndpointError.nonRetryable("no courier") }
                order.trackingNumber = "ship-\(payment)"
            } undo: { _, _ in },
        ])
        let builder = TopologyBuilder()
        SagaOrchestrator(definition).addTo(builder)
        worker.addTo(builder)
        driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "checkout")
        starts = driver.inputTopic("saga.start.checkout", key: .string, value: .json(JSONObject.self))
    }

    func instance(_ id: String) throws -> SagaInstance {
        try #require(try driver.keyValueStore("checkout-instances", key: String.self, value: SagaInstance.self).get(id))
    }

    func sent(_ id: String) throws -> [Int] {
        try instance(id).history.filter { $0.event == "command-sent" }.compactMap(\.stepKey)
    }
}

@Suite struct TypedSagaTests {
    @Test func aStartValueEncodedFromTheTypeUsesTheSnakeCaseKeysAndOmitsNilOptionals() throws {
        let start = try JSONObject(encoding: CheckoutOrder(username: "alice", totalAmount: 120, coupon: "TEN"))
        #expect(start == ["username": "alice", "total_amount": 120, "coupon": "TEN"])
    }

    @Test func aTypedSagaCompletesWithFieldsWrittenByOneStepReadByTheNextAndUnknownMembersKept() throws {
        let harness = try CheckoutHarness(typedHooks: true)
        var start = try JSONObject(encoding: CheckoutOrder(username: "alice", totalAmount: 120, coupon: "TEN"))
        start["channel"] = "web"
        try harness.starts.pipeInput(key: "tx-1", value: start)
        let instance = try harness.instance("tx-1")
        #expect(instance.status == .completed)
        // charge read total_amount and the coupon, wrote the reduced amount and the payment;
        // ship read the payment and wrote the tracking number.
        #expect(instance.entity["total_amount"] == 110)
        #expect(instance.entity["payment_reference_id"] == "pay-110")
        #expect(instance.entity["tracking_number"] == "ship-pay-110")
        #expect(instance.entity["coupon"] == nil, "an optional set to nil is removed from the JSON entity")
        #expect(instance.entity["last_completed_step"] == 3, "the typed onNext hook wrote it back")
        #expect(instance.entity["channel"] == "web", "members the type does not know stay")
        #expect(instance.entity["reservation_id"] == "res-tx-1:1", "the untyped step's member stays too")
        let order = try JSONSerde<CheckoutOrder>().deserialize(JSONSerde<JSONObject>().serialize(instance.entity))
        #expect(order == CheckoutOrder(username: "alice", totalAmount: 110, paymentReferenceID: "pay-110",
                                       trackingNumber: "ship-pay-110", lastCompletedStep: 3))
    }

    @Test func anEntityMissingARequiredFieldFailsTheStepNonRetryablyNamingTheFieldAndCompensates() throws {
        let harness = try CheckoutHarness()
        try harness.starts.pipeInput(key: "tx-2", value: ["username": "bob"])
        let instance = try harness.instance("tx-2")
        #expect(instance.status == .compensated)
        #expect(instance.failure == "step 2 failed: the entity does not decode as CheckoutOrder: field total_amount is missing")
        #expect(instance.errorContext == ["error_code": "ENTITY_NOT_DECODABLE", "entity_type": "CheckoutOrder",
                                          "field": "total_amount"])
        #expect(instance.retries == 0, "not retried")
        #expect(try harness.sent("tx-2") == [1, 2, -1], "the reservation is released")
        #expect(instance.hints["released"] == "res-tx-2:1")
        #expect(instance.hints["release_reason"] == "total_amount")
    }

    @Test func aFieldOfTheWrongTypeIsNamedWithTheTypeExpected() throws {
        let harness = try CheckoutHarness()
        try harness.starts.pipeInput(key: "tx-3", value: ["username": "carol", "total_amount": "lots"])
        let instance = try harness.instance("tx-3")
        #expect(instance.status == .compensated)
        #expect(instance.failure?.hasPrefix("step 2 failed: the entity does not decode as CheckoutOrder: field total_amount is not of type Int") == true)
        #expect(instance.errorContext["field"] == "total_amount")
    }

    @Test func typedUndoStepsAndTheTypedOnNextRevertHookReadTheLastEntityState() throws {
        let harness = try CheckoutHarness(typedHooks: true)
        try harness.starts.pipeInput(key: "tx-4", value: JSONObject(encoding: CheckoutOrder(username: "mallory", totalAmount: 50)))
        let instance = try harness.instance("tx-4")
        #expect(instance.status == .compensated)
        #expect(instance.failure == "step 3 failed: no courier")
        #expect(try harness.sent("tx-4") == [1, 2, 3, -2, -1])
        #expect(instance.hints["refunded"] == "pay-50")
        #expect(instance.hints["undone_for_2"] == "mallory")
        #expect(instance.hints["undone_for_1"] == "mallory")
        #expect(instance.entity["tracking_number"] == nil, "the failed step's changes never reached the entity")
    }

    @Test func anEntityTheTypedHooksCannotDecodeCompensatesAfterOnNextAndDeadLettersAfterOnNextRevert() throws {
        let harness = try CheckoutHarness(typedHooks: true)
        try harness.starts.pipeInput(key: "tx-5", value: ["username": "dave"])
        let instance = try harness.instance("tx-5")
        let reason = "the entity does not decode as CheckoutOrder: field total_amount is missing"
        #expect(instance.history.first { $0.event == "step-failed" }?.detail == "onNext after step 1 threw: \(reason)")
        #expect(try harness.sent("tx-5") == [1, -1])
        #expect(instance.status == .compensationFailed)
        #expect(instance.failure == "onNextRevert after step -1 threw: \(reason)")
        #expect(harness.driver.records(of: "saga.dlq.checkout").count == 1)
    }

    @Test func aTypedUndoWhoseEntityDoesNotDecodeRepliesNonRetryablyNamingTheField() throws {
        let worker = try SagaWorker(name: "w", serving: ["checkout"], endpoints: [
            .command("payment.charge", entity: CheckoutOrder.self) { _, _ in } undo: { _, execution in
                execution.hints["refunded"] = true
            },
        ])
        let builder = TopologyBuilder()
        worker.addTo(builder)
        let driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "w")
        let undo = SagaCommand(transactionID: "t", saga: "checkout", stepKey: -2, action: .undo, idempotencyKey: "t:-2",
                               attempt: 1, entity: ["username": "erin", "total_amount": nil], hints: [:], errorContext: [:])
        try driver.inputTopic("saga.undo.payment.charge", key: .string, value: .json(SagaCommand.self)).pipeInput(key: "t", value: undo)
        let reply = try JSONSerde<SagaReply>().deserialize(try #require(driver.records(of: "saga.reply.checkout").first?.value))
        #expect(reply.outcome == .nonRetryable)
        #expect(reply.message?.hasPrefix("the entity does not decode as CheckoutOrder: field total_amount is null") == true)
        #expect(reply.immediateRetries == 0)
    }
}
