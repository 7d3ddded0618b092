import Flowstate
import FlowstateKafka
import PlaceOrder
import Saga
import StatementLifecycle

/// Produces the demo's load: statements to `statement.close-initiated` keyed by organisation,
/// sagas to `saga.start.place-order` keyed by transaction id, evenly over a duration.
struct DemoGenerator {
    let load: DemoLoad
    let servers: [String]

    /// Produces everything, spread over `seconds` (at once for 0), then flushes.
    func produce(over seconds: Double) async throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: servers))
        let machine = try StatementLifecycle.machine()
        let statementTopic = machine.topic(of: machine.initialStatus)
        let startTopic = try PlaceOrder.definition().startTopic
        let statementJSON = JSONSerde<Statement>(), orderJSON = JSONSerde<JSONObject>()
        let start = ContinuousClock.now
        var statements = 0, sagas = 0
        while statements < load.statementCount || sagas < load.sagaCount {
            try Task.checkCancellation()
            let share = seconds > 0 ? min(1, DemoProgress.seconds(ContinuousClock.now - start) / seconds) : 1
            while statements < Int(share * Double(load.statementCount)) {
                let statement = load.statement(statements)
                try producer.produce(KafkaProducerRecord(topic: statementTopic, key: Array(statement.organisationId.utf8),
                                                         value: try statementJSON.serialize(statement)))
                statements += 1
            }
            while sagas < Int(share * Double(load.sagaCount)) {
                let order = load.order(sagas)
                try producer.produce(KafkaProducerRecord(topic: startTopic, key: Array(order.transactionID.utf8),
                                                         value: try orderJSON.serialize(order.entity)))
                sagas += 1
            }
            if share < 1 { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await producer.flush()
        try await producer.close()
    }
}
