/// A record read from a topic.
public struct KafkaConsumerRecord: Sendable {
    /// The topic the record came from.
    public var topic: String
    /// The partition the record came from.
    public var partition: Int32
    /// The record's offset in its partition.
    public var offset: Int64
    /// The key bytes; `nil` is a null key.
    public var key: [UInt8]?
    /// The value bytes; `nil` is a tombstone.
    public var value: [UInt8]?
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch (`-1` when unknown).
    public var timestamp: Int64

    /// Creates a record; used by test doubles and simulations.
    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                headers: [KafkaHeader] = [], timestamp: Int64 = -1) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The record's topic-partition.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The key decoded as UTF-8.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    /// The value decoded as UTF-8.
    public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}
