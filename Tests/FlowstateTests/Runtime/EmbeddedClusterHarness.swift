import Flowstate
import FlowstateKafka
import Foundation

/// An embedded cluster with helpers to feed and drain topics, for application tests.
final class EmbeddedClusterHarness: Sendable {
    let cluster: EmbeddedCluster
    let stateDirectory: String

    init(topics: [String: Int]) throws {
        cluster = try EmbeddedCluster()
        for (topic, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            try cluster.createTopic(topic, partitions: partitions)
        }
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("flowstate-it-\(UUID().uuidString)").path
    }

    var bootstrapServers: String { cluster.bootstrapServers }

    func config(applicationID: String, instanceID: String = "pod-0") -> FlowstateConfig {
        var config = FlowstateConfig(applicationID: applicationID, bootstrapServers: [bootstrapServers])
        config.stateDirectory = stateDirectory
        config.instanceID = instanceID
        config.sessionTimeout = .seconds(6)
        return config
    }

    func produce(topic: String, records: [(key: String, value: String)]) async throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [bootstrapServers]))
        for record in records { try producer.produce(KafkaProducerRecord(topic: topic, key: record.key, value: record.value)) }
        try await producer.flush()
        try await producer.close()
    }

    /// Reads `topic` from the beginning (read_committed) until `count` records or `timeout`.
    func drain(topic: String, partitions: Int, count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaConsumerRecord] {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: [bootstrapServers], groupID: "drain-\(UUID())"))
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
            (KafkaTopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning)
        }))
        var records: [KafkaConsumerRecord] = []
        let deadline = ContinuousClock.now + timeout
        while records.count < count, ContinuousClock.now < deadline {
            records += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
        }
        // Anything beyond `count` (duplicates) arrives within a moment.
        records += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(500))
        try await consumer.close()
        return records
    }

    deinit {
        cluster.shutdown()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}

/// Runs `app` in a task until `body` returns, then shuts it down and returns its error, if any.
func withRunningApplication<T>(_ app: FlowstateApplication, _ body: () async throws -> T) async throws -> T {
    let running = Task { try await app.run() }
    do {
        let result = try await body()
        app.triggerShutdown()
        try await running.value
        return result
    } catch {
        app.triggerShutdown()
        _ = try? await running.value
        throw error
    }
}
