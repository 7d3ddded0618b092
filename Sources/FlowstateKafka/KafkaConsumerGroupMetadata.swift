internal import CRdKafka

/// A consumer's group metadata (group id, generation, member id), passed to
/// ``KafkaTransactionalProducer/sendOffsetsToTransaction(_:groupMetadata:timeout:)`` so the
/// broker can fence commits from a member of an older generation.
public final class KafkaConsumerGroupMetadata: @unchecked Sendable {
    // Immutable after creation; librdkafka only reads it.
    private let metadata: OpaquePointer

    init(_ metadata: OpaquePointer) { self.metadata = metadata }

    /// Metadata for a group without a live consumer (member id and generation unknown).
    ///
    /// - Parameter groupID: The consumer group whose offsets a transaction commits.
    public convenience init(groupID: String) {
        self.init(rd_kafka_consumer_group_metadata_new(groupID))
    }

    func withPointer<T>(_ body: (OpaquePointer) -> T) -> T { body(metadata) }

    deinit { rd_kafka_consumer_group_metadata_destroy(metadata) }
}
