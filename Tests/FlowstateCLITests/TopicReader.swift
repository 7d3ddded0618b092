import FlowstateKafka
import Foundation

/// Reads topics from the beginning as pods write them (read_committed unless told), keeping every record.
final class TopicReader: @unchecked Sendable {
    let consumer: KafkaConsumer
    private(set) var records: [KafkaConsumerRecord] = []

    init(servers: String, topics: [String], partitions: Int = 4, isolationLevel: KafkaIsolationLevel = .readCommitted) throws {
        var config = KafkaConsumerConfig(bootstrapServers: [servers], groupID: "reader-\(UUID())")
        config.isolationLevel = isolationLevel
        consumer = try KafkaConsumer(config: config)
        var assignment: [KafkaTopicPartition: KafkaOffset] = [:]
        for topic in topics {
            for partition in 0..<partitions { assignment[KafkaTopicPartition(topic: topic, partition: Int32(partition))] = .beginning }
        }
        try consumer.assign(assignment)
    }

    func poll() async throws {
        records += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
    }

    /// The last value of each key of `topic` (a changelog's current state).
    func latest(of topic: String) -> [String: [UInt8]] {
        var latest: [String: [UInt8]] = [:]
        for record in records where record.topic == topic { latest[record.keyString ?? ""] = record.value }
        return latest
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    func waitUntil(timeout: Duration, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await poll()
            if try condition() { return true }
        }
        return false
    }

    func close() { try? consumer.close() }
}
