/// Receives partition assignment changes synchronously, inside the consumer's poll.
///
/// Because the callbacks run before librdkafka gives partitions up, a listener can commit
/// the work of revoked partitions (flush, commit a transaction, close their state) first,
/// as Kafka's `ConsumerRebalanceListener` does.
///
/// - Important: Callbacks run on the thread that called ``KafkaConsumer/poll(maxRecords:timeout:)``
///   (or ``KafkaConsumer/close()``), and must not poll the same consumer.
public protocol KafkaRebalanceListener: AnyObject, Sendable {
    /// Partitions were assigned; return start offsets for any of them to override the
    /// committed offset (absent partitions start from the committed offset).
    ///
    /// - Parameter partitions: The newly assigned partitions (all of them for eager protocols,
    ///   the added ones for cooperative).
    /// - Returns: Start offsets to apply before fetching begins.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset]

    /// Partitions are about to be revoked; their work may still be committed.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition])

    /// Partitions were lost (session expired, fenced): another member may own them
    /// already, so their work must be dropped, not committed.
    func partitionsLost(_ partitions: [KafkaTopicPartition])
}

extension KafkaRebalanceListener {
    /// Lost partitions are treated like revoked ones unless the listener says otherwise.
    public func partitionsLost(_ partitions: [KafkaTopicPartition]) { partitionsRevoked(partitions) }
}
