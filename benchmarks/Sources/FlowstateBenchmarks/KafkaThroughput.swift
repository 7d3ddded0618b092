import FlowstateKafka
import Foundation

/// One measured Kafka figure.
struct KafkaThroughputResult {
    var operation: String
    var records: Int
    var seconds: Double
    var bytes: Int
    var recordsPerSecond: Double { Double(records) / seconds }
    var megabytesPerSecond: Double { Double(bytes) / seconds / 1_048_576 }
}

/// Produces and consumes records as fast as the client allows, with and without transactions.
struct KafkaThroughput {
    static let operations = ["produce (idempotent)", "produce (transactional)", "consume (read_committed)"]

    var bootstrapServers: String
    var records: Int
    var valueSize: Int
    var partitions: Int
    var transactionSize: Int

    func run(runID: Int, createTopic: (String) throws -> Void) async throws -> [KafkaThroughputResult] {
        let plainTopic = "bench-plain-\(runID)-\(UUID().uuidString.prefix(6))"
        let transactionalTopic = "bench-txn-\(runID)-\(UUID().uuidString.prefix(6))"
        try createTopic(plainTopic)
        try createTopic(transactionalTopic)
        let value = [UInt8]((0..<valueSize).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let keys = (0..<1000).map { Array("key-\($0)".utf8) }
        let config = KafkaProducerConfig(bootstrapServers: [bootstrapServers])
        let clock = ContinuousClock()
        var results: [KafkaThroughputResult] = []
        let bytes = records * (valueSize + 8)

        let producer = try KafkaProducer(config: config)
        var start = clock.now
        for index in 0..<records {
            try producer.produce(KafkaProducerRecord(topic: plainTopic, key: keys[index % keys.count], value: value))
        }
        try await producer.flush(timeout: .seconds(120))
        results.append(KafkaThroughputResult(operation: Self.operations[0], records: records,
                                             seconds: (clock.now - start).seconds, bytes: bytes))
        try await producer.close()

        let transactional = try KafkaTransactionalProducer(config: config, transactionalID: "bench-\(UUID())")
        try await transactional.initTransactions()
        start = clock.now
        var index = 0
        while index < records {
            try transactional.beginTransaction()
            let end = min(records, index + transactionSize)
            while index < end {
                try transactional.produce(KafkaProducerRecord(topic: transactionalTopic, key: keys[index % keys.count],
                                                              value: value))
                index += 1
            }
            try await transactional.commitTransaction()
        }
        results.append(KafkaThroughputResult(operation: Self.operations[1], records: records,
                                             seconds: (clock.now - start).seconds, bytes: bytes))
        try await transactional.close()

        var consumerConfig = KafkaConsumerConfig(bootstrapServers: [bootstrapServers], groupID: "bench-\(UUID())")
        consumerConfig.isolationLevel = .readCommitted
        let consumer = try KafkaConsumer(config: consumerConfig)
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
            (KafkaTopicPartition(topic: plainTopic, partition: Int32($0)), KafkaOffset.beginning)
        }))
        start = clock.now
        var consumed = 0
        let deadline = clock.now + .seconds(120)
        while consumed < records, clock.now < deadline {
            consumed += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100)).count
        }
        results.append(KafkaThroughputResult(operation: Self.operations[2], records: consumed,
                                             seconds: (clock.now - start).seconds, bytes: consumed * (valueSize + 8)))
        try await consumer.close()
        return results
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (whole, atto) = components
        return Double(whole) + Double(atto) / 1e18
    }
}
