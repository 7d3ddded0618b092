package import Flowstate
package import FlowstateKafka
package import FlowstateTesting
package import PlaceOrder
import Saga

/// Scenario 3: the place-order saga, its orchestrator and its worker in one topology (two
/// sub-topologies exchanging commands and replies through Kafka), with deferred retries on
/// durable timers driven by the simulated wall clock.
///
/// Each input starts a saga whose order carries scenario fields (`user_blocked`,
/// `payment_transient_failures`, `payment_flaky`, `out_of_stock`, `no_courier`,
/// `refund_fails`, an amount over the fraud limit), so runs mix completions, compensations
/// and failed compensations. ``PlaceOrderModel`` predicts each saga; see ``verify(_:)``.
package struct PlaceOrderScenario: SimulationScenario {
    package let name = "place-order"
    package let applicationID = "sim-place-order"
    /// The options of the topology: short backoffs, immediate retries without sleeping.
    package var options = PlaceOrder.Options(
        retry: SagaRetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20)),
        compensationRetry: SagaRetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(20)),
        immediateRetry: ImmediateRetryPolicy(maxAttempts: 3, backoff: .zero))
    /// The options the model assumes (differ from ``options`` only to test that a wrong model is caught).
    package var modelOptions: PlaceOrder.Options?

    package init() {}

    static let saga = PlaceOrder.sagaName
    static let startTopic = "saga.start.\(saga)"

    package var topics: [String: Int] {
        let orchestrator = (try? PlaceOrder.orchestrator(options).topics) ?? []
        return Dictionary(orchestrator.map { ($0, 4) }, uniquingKeysWith: { first, _ in first })
    }

    /// None exactly: every output carries a wall-clock time; ``verify(_:)`` checks them.
    package var checkedOutputTopics: [String] { [] }

    /// Longer than the longest backoff (80 ms) plus the retry check interval (200 ms).
    package var quietPeriod: Int64 { 1_000 }

    package func makeTopology() throws -> Topology {
        let builder = TopologyBuilder()
        try PlaceOrder.orchestrator(options).addTo(builder)
        try PlaceOrder.worker(options).addTo(builder)
        return try builder.build()
    }

    package func makeInput(_ random: inout SimulationRandom, after earlier: [SimulationInput]) -> SimulationInput {
        var order: JSONObject = ["username": .string("user-\(Int.random(in: 0..<20, using: &random))"),
                                 "total_amount": .int(Int.random(in: 1...5_000, using: &random))]
        if random.chance(0.05) { order["user_blocked"] = true }
        if random.chance(0.2) { order["payment_transient_failures"] = .int(Int.random(in: 1...5, using: &random)) }
        if random.chance(0.15) { order["payment_flaky"] = .int(Int.random(in: 1...3, using: &random)) }
        if random.chance(0.05) { order["total_amount"] = .int(PlaceOrder.fraudLimit + 1) }
        if random.chance(0.1) { order["out_of_stock"] = true }
        if random.chance(0.15) { order["no_courier"] = true }
        if random.chance(0.2) { order["refund_fails"] = true }
        return SimulationInput(topic: Self.startTopic, key: Array("order-\(earlier.count)".utf8),
                               value: (try? JSONSerde<JSONObject>().serialize(order)) ?? [])
    }

    /// Nothing the model predicts byte for byte (times); see ``verify(_:)``.
    package func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation {
        SimulationExpectation(outputs: [:], stores: [:])
    }

    var model: PlaceOrderModel {
        let assumed = modelOptions ?? options
        return PlaceOrderModel(primaryAttempts: assumed.retry.maxAttempts, compensationAttempts: assumed.compensationRetry.maxAttempts,
                               immediateAttempts: assumed.immediateRetry.maxAttempts, fraudLimit: PlaceOrder.fraudLimit)
    }
}
