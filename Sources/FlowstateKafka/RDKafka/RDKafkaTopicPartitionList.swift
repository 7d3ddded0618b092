internal import CRdKafka
import Foundation

/// Owns an `rd_kafka_topic_partition_list_t`.
///
/// Not `Sendable`: built, passed to one C call and read back by a single owner.
final class RDKafkaTopicPartitionList {
    private let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// Creates an empty list.
    init(capacity: Int = 8) {
        list = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    /// Creates a list of partitions with the given offsets.
    convenience init<S: Sequence>(_ entries: S) where S.Element == (KafkaTopicPartition, KafkaOffset) {
        self.init()
        for (topicPartition, offset) in entries { add(topicPartition, offset: offset) }
    }

    /// Creates a list of partitions with invalid (unset) offsets.
    convenience init<S: Sequence>(partitions: S) where S.Element == KafkaTopicPartition {
        self.init(partitions.map { ($0, KafkaOffset.invalid) })
    }

    /// Appends a partition with an offset, and metadata to commit with it.
    func add(_ topicPartition: KafkaTopicPartition, offset: KafkaOffset, metadata: String? = nil) {
        let element = rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition)!
        element.pointee.offset = offset.rawValue
        if let metadata, !metadata.isEmpty {
            // The list owns its elements' metadata and frees it with free() when destroyed.
            let bytes = Array(metadata.utf8)
            let copy = malloc(bytes.count)!
            bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            element.pointee.metadata = copy
            element.pointee.metadata_size = bytes.count
        }
    }

    /// Creates a list of partitions with committed offsets and their metadata.
    convenience init<S: Sequence>(committing entries: S) where S.Element == (KafkaTopicPartition, KafkaCommittedOffset) {
        self.init()
        for (topicPartition, committed) in entries { add(topicPartition, offset: committed.offset, metadata: committed.metadata) }
    }

    /// The committed offsets and metadata of a list filled by librdkafka.
    static func committedOffsets(
        of list: UnsafePointer<rd_kafka_topic_partition_list_t>
    ) -> [KafkaTopicPartition: KafkaCommittedOffset] {
        var result: [KafkaTopicPartition: KafkaCommittedOffset] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var metadata: String?
            if let bytes = element.metadata, element.metadata_size > 0 {
                metadata = String(decoding: UnsafeRawBufferPointer(start: bytes, count: element.metadata_size), as: UTF8.self)
            }
            result[KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                KafkaCommittedOffset(KafkaOffset(rawValue: element.offset), metadata: metadata)
        }
        return result
    }

    /// Calls `body` with the C list. Do not let the pointer escape.
    func withListPointer<T, E: Error>(
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> T
    ) throws(E) -> T {
        try body(list)
    }

    /// The list's partitions with their offsets and per-partition errors.
    var entries: [(KafkaTopicPartition, KafkaOffset, rd_kafka_resp_err_t)] {
        Self.entries(of: list)
    }

    /// Reads the entries of a list owned by someone else (e.g. librdkafka in a callback).
    static func entries(
        of list: UnsafePointer<rd_kafka_topic_partition_list_t>
    ) -> [(KafkaTopicPartition, KafkaOffset, rd_kafka_resp_err_t)] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return (KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition),
                    KafkaOffset(rawValue: element.offset), element.err)
        }
    }

    deinit { rd_kafka_topic_partition_list_destroy(list) }
}
