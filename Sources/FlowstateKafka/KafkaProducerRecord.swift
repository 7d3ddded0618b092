/// A record to produce.
public struct KafkaProducerRecord: Sendable {
    /// The destination topic.
    public var topic: String
    /// The destination partition; `nil` lets the partitioner choose from the key.
    public var partition: Int32?
    /// The key bytes; `nil` is a null key.
    public var key: [UInt8]?
    /// The value bytes; `nil` is a tombstone.
    public var value: [UInt8]?
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch; `nil` means now.
    public var timestamp: Int64?

    /// Creates a record.
    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?,
                headers: [KafkaHeader] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Creates a record with a UTF-8 key and value.
    public init(topic: String, partition: Int32? = nil, key: String?, value: String?,
                headers: [KafkaHeader] = [], timestamp: Int64? = nil) {
        self.init(topic: topic, partition: partition, key: key.map { Array($0.utf8) },
                  value: value.map { Array($0.utf8) }, headers: headers, timestamp: timestamp)
    }
}

/// Where a produced record was written.
public struct KafkaDeliveryReport: Hashable, Sendable {
    /// The topic and partition the record went to.
    public var topicPartition: KafkaTopicPartition
    /// The record's offset in that partition.
    public var offset: Int64
}
