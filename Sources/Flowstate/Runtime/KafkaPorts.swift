package import FlowstateKafka

/// The consumer operations the runtime needs; implemented over librdkafka
/// (``LibrdkafkaClients``) and by the deterministic simulation in `FlowstateTesting`.
package protocol StreamConsumer: AnyObject {
    func subscribe(topics: [String], listener: any KafkaRebalanceListener) throws
    func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws
    func poll(maxRecords: Int, timeout: Duration) throws -> [KafkaConsumerRecord]
    func seek(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws
    /// Stops fetching from `partitions` (polls go on serving the group) until ``resume(_:)``.
    func pause(_ partitions: [KafkaTopicPartition]) throws
    /// Fetches again from paused `partitions`, from the position after the last record returned.
    func resume(_ partitions: [KafkaTopicPartition]) throws
    func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaOffset]
    /// The group's committed offsets, with their metadata.
    func committed(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaCommittedOffset]
    func commit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws
    /// Starts an offset commit without waiting for its outcome (which is not reported).
    func startCommit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws
    /// The first offset held and, for a read_committed consumer, the last stable offset.
    func watermarks(of partition: KafkaTopicPartition) throws -> (low: Int64, high: Int64)
    /// The log end offset (high watermark), past any open transaction: records of committed
    /// transactions may lie between the last stable offset and it.
    func logEndOffset(of partition: KafkaTopicPartition) throws -> Int64
    func groupMetadata() throws -> StreamGroupMetadata
    func close() throws
}

/// The producer operations the runtime needs (transactional or idempotent).
package protocol StreamProducer: AnyObject {
    func initTransactions() throws
    func beginTransaction() throws
    func send(_ record: KafkaProducerRecord) throws
    func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset], groupMetadata: StreamGroupMetadata) throws
    func commitTransaction() throws
    func abortTransaction() throws
    /// Waits for every record sent so far (at-least-once commits).
    func flush() throws
    /// Highest acknowledged offset per partition since the last call.
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64]
    func close()
}

/// The admin operations the runtime needs.
package protocol StreamAdmin: AnyObject {
    /// Partition counts of the topics that exist, by name.
    func partitionCounts(of topics: [String]) throws -> [String: Int]
    /// Creates topics; existing ones are left alone.
    func createTopics(_ topics: [KafkaNewTopic]) throws
    /// The cluster's id, `nil` when it reports none.
    func clusterID() throws -> String?
}

/// Makes the runtime's Kafka clients.
package protocol KafkaClientSupplier: Sendable {
    func makeConsumer(groupID: String, groupInstanceID: String?, clientID: String) throws -> any StreamConsumer
    func makeRestoreConsumer(clientID: String) throws -> any StreamConsumer
    func makeProducer(transactionalID: String?, clientID: String) throws -> any StreamProducer
    func makeAdmin() throws -> any StreamAdmin
}

/// A consumer's group metadata, for transactional offset commits.
package struct StreamGroupMetadata: @unchecked Sendable {
    /// librdkafka's metadata (immutable), when the consumer is a librdkafka consumer.
    package let kafka: KafkaConsumerGroupMetadata?
    package let groupID: String
    package let generation: Int
    package let memberID: String

    package init(kafka: KafkaConsumerGroupMetadata?, groupID: String, generation: Int, memberID: String) {
        self.kafka = kafka
        self.groupID = groupID
        self.generation = generation
        self.memberID = memberID
    }
}
