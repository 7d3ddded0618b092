import FlowstateKafka
import Foundation
import Logging

/// The runtime's Kafka clients over librdkafka (``FlowstateKafka``).
struct LibrdkafkaClients: KafkaClientSupplier {
    let bootstrapServers: [String]
    let properties: [String: String]
    let sessionTimeout: Duration
    let embeddedCluster: EmbeddedCluster?
    let logger: Logger

    /// Stream consumers wait at most this long for a fetch to fill (librdkafka's default is
    /// 500 ms): every hop of a record through a chain of topologies waits for one fetch.
    /// `kafkaProperties` can override it.
    static let streamConsumerDefaults = ["fetch.wait.max.ms": "10"]

    func makeConsumer(groupID: String, groupInstanceID: String?, clientID: String) throws -> any StreamConsumer {
        var config = KafkaConsumerConfig(bootstrapServers: bootstrapServers, groupID: groupID)
        config.groupInstanceID = groupInstanceID
        config.clientID = clientID
        config.sessionTimeout = sessionTimeout
        config.additionalProperties = Self.streamConsumerDefaults.merging(properties) { $1 }
        return LibrdkafkaConsumer(try KafkaConsumer(config: config, logger: logger))
    }

    func makeRestoreConsumer(clientID: String) throws -> any StreamConsumer {
        var config = KafkaConsumerConfig(bootstrapServers: bootstrapServers, groupID: "\(clientID)-restore")
        config.clientID = clientID
        config.additionalProperties = properties
        // A read_committed client's ListOffsets answers the last stable offset; restoration
        // also needs the log end offset, which only a read_uncommitted client is told.
        var endConfig = config
        endConfig.groupID = "\(clientID)-restore-end"
        endConfig.isolationLevel = .readUncommitted
        return LibrdkafkaConsumer(try KafkaConsumer(config: config, logger: logger),
                                  endOffsets: try KafkaConsumer(config: endConfig, logger: logger))
    }

    func makeProducer(transactionalID: String?, clientID: String) throws -> any StreamProducer {
        var config = KafkaProducerConfig(bootstrapServers: bootstrapServers)
        config.clientID = clientID
        config.tracksDeliveredOffsets = true
        config.additionalProperties = properties
        if let transactionalID {
            return LibrdkafkaTransactionalProducer(
                try KafkaTransactionalProducer(config: config, transactionalID: transactionalID, logger: logger))
        }
        return LibrdkafkaIdempotentProducer(try KafkaProducer(config: config, logger: logger))
    }

    func makeAdmin() throws -> any StreamAdmin {
        LibrdkafkaAdmin(admin: try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: bootstrapServers), logger: logger),
                        embeddedCluster: embeddedCluster)
    }
}

final class LibrdkafkaConsumer: StreamConsumer {
    let consumer: KafkaConsumer
    /// A read_uncommitted client that answers log end offsets (restore consumers only).
    let endOffsets: KafkaConsumer?
    init(_ consumer: KafkaConsumer, endOffsets: KafkaConsumer? = nil) {
        self.consumer = consumer
        self.endOffsets = endOffsets
    }

    func subscribe(topics: [String], listener: any KafkaRebalanceListener) throws {
        try consumer.subscribe(topics: topics, listener: listener)
    }
    func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws { try consumer.assign(partitions) }
    /// Returns what is there at once; only when nothing is, waits up to `timeout` for the
    /// first record. (librdkafka's batch consume waits the whole timeout for a full batch,
    /// which would add `timeout` to every hop whenever fewer than `maxRecords` are queued.)
    func poll(maxRecords: Int, timeout: Duration) throws -> [KafkaConsumerRecord] {
        let ready = try consumer.poll(maxRecords: maxRecords, timeout: .zero)
        if !ready.isEmpty || timeout <= .zero { return ready }
        let first = try consumer.poll(maxRecords: 1, timeout: timeout)
        guard !first.isEmpty, maxRecords > 1 else { return first }
        return first + (try consumer.poll(maxRecords: maxRecords - 1, timeout: .zero))
    }
    func seek(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws { try consumer.seek(offsets) }
    func pause(_ partitions: [KafkaTopicPartition]) throws { try consumer.pause(partitions) }
    func resume(_ partitions: [KafkaTopicPartition]) throws { try consumer.resume(partitions) }
    func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaOffset] {
        try consumer.position(partitions)
    }
    func committed(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaCommittedOffset] {
        try consumer.committedOffsets(partitions)
    }
    func commit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws { try consumer.commit(offsets) }
    func startCommit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws { try consumer.startCommit(offsets) }
    func watermarks(of partition: KafkaTopicPartition) throws -> (low: Int64, high: Int64) {
        try consumer.watermarks(of: partition)
    }
    func logEndOffset(of partition: KafkaTopicPartition) throws -> Int64 {
        try (endOffsets ?? consumer).watermarks(of: partition).high
    }
    func groupMetadata() throws -> StreamGroupMetadata {
        StreamGroupMetadata(kafka: try consumer.groupMetadata(), groupID: consumer.groupID, generation: -1, memberID: "")
    }
    func close() throws {
        try? endOffsets?.close()
        try consumer.close()
    }
}

final class LibrdkafkaTransactionalProducer: StreamProducer {
    let producer: KafkaTransactionalProducer
    init(_ producer: KafkaTransactionalProducer) { self.producer = producer }

    func initTransactions() throws { try producer.initTransactions() }
    func beginTransaction() throws { try producer.beginTransaction() }
    func send(_ record: KafkaProducerRecord) throws { try producer.produce(record) }
    func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset], groupMetadata: StreamGroupMetadata) throws {
        let metadata = groupMetadata.kafka ?? KafkaConsumerGroupMetadata(groupID: groupMetadata.groupID)
        try producer.sendOffsetsToTransaction(offsets, groupMetadata: metadata)
    }
    func commitTransaction() throws { try producer.commitTransaction() }
    func abortTransaction() throws { try producer.abortTransaction() }
    func flush() throws { try producer.flush() }
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] { producer.takeDeliveredOffsets() }
    func close() { try? producer.close() }
}

/// At-least-once: an idempotent producer; transaction calls do nothing.
final class LibrdkafkaIdempotentProducer: StreamProducer {
    let producer: KafkaProducer
    init(_ producer: KafkaProducer) { self.producer = producer }

    func initTransactions() throws {}
    func beginTransaction() throws {}
    func send(_ record: KafkaProducerRecord) throws { try producer.produce(record) }
    func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset], groupMetadata: StreamGroupMetadata) throws {}
    func commitTransaction() throws { try producer.flush() }
    func abortTransaction() throws {}
    func flush() throws { try producer.flush() }
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] { producer.takeDeliveredOffsets() }
    func close() { try? producer.close() }
}

final class LibrdkafkaAdmin: StreamAdmin {
    let admin: KafkaAdmin
    let embeddedCluster: EmbeddedCluster?

    init(admin: KafkaAdmin, embeddedCluster: EmbeddedCluster?) {
        self.admin = admin
        self.embeddedCluster = embeddedCluster
    }

    func partitionCounts(of topics: [String]) throws -> [String: Int] {
        let wanted = Set(topics)
        let described: [KafkaTopicDescription] = try admin.describeTopics(nil)
        return Dictionary(uniqueKeysWithValues: described.filter { wanted.contains($0.name) }.map { ($0.name, $0.partitions.count) })
    }

    func clusterID() throws -> String? { try admin.clusterID() }

    func createTopics(_ topics: [KafkaNewTopic]) throws {
        guard !topics.isEmpty else { return }
        if let embeddedCluster {
            for topic in topics {
                do {
                    try embeddedCluster.createTopic(topic.name, partitions: topic.partitions)
                } catch {
                    if error.code != .topicAlreadyExists { throw error }
                }
            }
            return
        }
        let results: [String: KafkaError?] = try admin.createTopics(topics)
        for (name, error) in results {
            if let error, error.code != .topicAlreadyExists {
                throw FlowstateError(.configuration, "cannot create internal topic \(name): \(error.message)", underlying: error)
            }
        }
    }
}
