import FlowstateKafka
import Foundation

/// Produces records, reads them back through a consumer group, and checks order per partition.
struct RoundTrip {
    var bootstrapServers: String
    var topic: String
    var partitions: Int
    var records: Int

    struct Summary {
        var produced: Int
        var consumed: Int
        var producedPerSecond: Double
        var consumedPerSecond: Double
        var inOrder: Bool
        var transactionCommitted: Bool

        var table: String {
            """
            ┌──────────────────────────────┬──────────────┐
            │ records produced             │ \(pad(produced)) │
            │ records consumed             │ \(pad(consumed)) │
            │ produce rate (records/s)     │ \(pad(Int(producedPerSecond))) │
            │ consume rate (records/s)     │ \(pad(Int(consumedPerSecond))) │
            │ in order per partition       │ \(pad(inOrder ? "yes" : "NO")) │
            │ transaction committed        │ \(pad(transactionCommitted ? "yes" : "NO")) │
            └──────────────────────────────┴──────────────┘
            """
        }

        private func pad(_ value: some CustomStringConvertible) -> String {
            let text = value.description
            return String(repeating: " ", count: max(0, 12 - text.count)) + text
        }
    }

    func run() async throws -> Summary {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [bootstrapServers]))
        let clock = ContinuousClock()
        let produceStart = clock.now
        for index in 0..<records {
            try producer.produce(KafkaProducerRecord(topic: topic, key: "key-\(index % 97)", value: "\(index)"))
        }
        try await producer.flush()
        let produceTime = clock.now - produceStart
        try await producer.close()

        let transactional = try KafkaTransactionalProducer(
            config: KafkaProducerConfig(bootstrapServers: [bootstrapServers]), transactionalID: "flowstate-demo")
        try await transactional.initTransactions()
        try transactional.beginTransaction()
        _ = try await transactional.send(KafkaProducerRecord(topic: topic, key: "txn", value: "committed"))
        try await transactional.commitTransaction()
        try await transactional.close()

        var config = KafkaConsumerConfig(bootstrapServers: [bootstrapServers], groupID: "flowstate-demo")
        config.sessionTimeout = .seconds(10)
        let consumer = try KafkaConsumer(config: config)
        try consumer.subscribe(topics: [topic])
        var lastOffset: [Int32: Int64] = [:]
        var inOrder = true
        var consumed = 0
        let consumeStart = clock.now
        let deadline = clock.now + .seconds(60)
        while consumed < records + 1, clock.now < deadline {
            for record in try await consumer.poll(maxRecords: 5000, timeout: .milliseconds(500)) {
                if let last = lastOffset[record.partition], last >= record.offset { inOrder = false }
                lastOffset[record.partition] = record.offset
                consumed += 1
            }
        }
        let consumeTime = clock.now - consumeStart
        try await consumer.close()
        return Summary(produced: records, consumed: consumed,
                       producedPerSecond: Double(records) / produceTime.seconds,
                       consumedPerSecond: Double(consumed) / consumeTime.seconds,
                       inOrder: inOrder, transactionCommitted: consumed == records + 1)
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (whole, atto) = components
        return Double(whole) + Double(atto) / 1e18
    }
}
