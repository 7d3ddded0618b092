import Flowstate
import FlowstateKafka
import PlaceOrder
import Saga
import StatementLifecycle

/// What the demo's stores hold, read from their changelog topics: every partition from its
/// start to its end, the last record of each key winning.
struct DemoStores {
    /// Statements of this run, by id (`statement-entities`).
    var statements: [String: Statement] = [:]
    /// Saga instances of this run, by transaction id (`place-order-instances`).
    var sagas: [String: SagaInstance] = [:]
    /// Changelog partitions whose oldest records are gone (the embedded broker keeps ~5 MB per
    /// partition): their stores cannot be read in full.
    var truncated: [String] = []

    static let statementChangelog = Topology.changelogTopic(applicationID: "statement", store: "statement-entities")
    static let sagaChangelog = Topology.changelogTopic(applicationID: PlaceOrder.sagaName,
                                                       store: "\(PlaceOrder.sagaName)-instances")

    /// Reads both changelogs.
    ///
    /// - Throws: ``KafkaError`` when the topics cannot be read, or a timeout reading them.
    static func read(servers: [String], idPrefix: String, timeout: Duration = .seconds(60)) async throws -> DemoStores {
        var config = KafkaConsumerConfig(bootstrapServers: servers, groupID: "flowstate-demo-stores")
        config.clientID = "flowstate-demo-stores"
        let consumer = try KafkaConsumer(config: config)
        defer { try? consumer.close() }
        var stores = DemoStores()
        var ends: [KafkaTopicPartition: Int64] = [:]
        var assignment: [KafkaTopicPartition: KafkaOffset] = [:]
        for (topic, partitions) in try DemoTopics.partitionCounts(of: [statementChangelog, sagaChangelog], servers: servers) {
            for partition in 0..<partitions {
                let topicPartition = KafkaTopicPartition(topic: topic, partition: Int32(partition))
                let (low, high) = try consumer.watermarks(of: topicPartition)
                if low > 0 { stores.truncated.append("\(topic)[\(partition)] starts at offset \(low)") }
                if high > low {
                    ends[topicPartition] = high
                    assignment[topicPartition] = .beginning
                }
            }
        }
        try consumer.assign(assignment)
        let statementBinary = BinarySerde<Statement>(), instanceJSON = JSONSerde<SagaInstance>()
        let deadline = ContinuousClock.now + timeout
        while !ends.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw DemoFailure("reading the stores' changelogs took longer than \(timeout); still reading \(ends.keys.map(\.description))")
            }
            for record in try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200)) {
                if let end = ends[record.topicPartition], record.offset + 1 >= end { ends[record.topicPartition] = nil }
                guard let key = record.keyString, key.hasPrefix(idPrefix) else { continue }
                if record.topic == statementChangelog {
                    stores.statements[key] = try record.value.map { try statementBinary.deserialize($0) }
                } else {
                    stores.sagas[key] = try record.value.map { try instanceJSON.deserialize($0) }
                }
            }
        }
        return stores
    }
}
