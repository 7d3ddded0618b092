import Flowstate
import FlowstateKafka

/// Reads a store's latest value for a key from its changelog topic, with no pod running:
/// the key's partition is read from the start to its end (read_committed) and the last
/// record for the key wins (a tombstone means absent).
package struct ChangelogReader {
    package let bootstrapServers: [String]

    /// A reader of the cluster at `bootstrapServers`.
    package init(bootstrapServers: [String]) { self.bootstrapServers = bootstrapServers }

    /// The latest value of `key` in `topic`, whose partition is chosen by `partitionKey`
    /// (the key the store's task is partitioned by).
    package func latest(topic: String, key: String, partitionKey: String) async throws -> [UInt8]? {
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: bootstrapServers))
        guard let description = try await admin.describeTopics([topic]).first, !description.partitions.isEmpty else {
            throw ValidationError("topic \(topic) does not exist; is the application running on this cluster?")
        }
        let partition = KafkaPartitioner.partition(forKey: Array(partitionKey.utf8), partitionCount: Int32(description.partitions.count))
        var config = KafkaConsumerConfig(bootstrapServers: bootstrapServers, groupID: "flowstate-cli")
        config.startFromEarliest = true
        let consumer = try KafkaConsumer(config: config)
        let topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
        let end = try consumer.watermarks(of: topicPartition).high
        guard end > 0 else { return nil }
        try consumer.assign([topicPartition: .beginning])
        var latest: [UInt8]?
        // The offset of the last record read; -1 before the first (a partition of one record
        // must still be read).
        var position: Int64 = -1
        let wanted = Array(key.utf8)
        var idlePolls = 0
        while position < end - 1, idlePolls < 50 {
            let records = try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
            idlePolls = records.isEmpty ? idlePolls + 1 : 0
            for record in records {
                position = record.offset
                if record.key == wanted { latest = record.value }
            }
        }
        try await consumer.close()
        return latest
    }
}

import ArgumentParser
