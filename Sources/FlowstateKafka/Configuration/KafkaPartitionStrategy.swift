/// How a producer picks the partition of a record that names none.
public struct KafkaPartitionStrategy: Hashable, Sendable, CustomStringConvertible {
    /// librdkafka's name of the strategy (`partitioner`).
    public let name: String
    private init(_ name: String) { self.name = name }

    /// The murmur2 hash of the key, as Java clients and Kafka Streams compute it (records
    /// without a key go to a random partition). Records with equal keys land in equal
    /// partitions of co-partitioned topics whoever produced them.
    public static let murmur2Random = KafkaPartitionStrategy("murmur2_random")
    /// librdkafka's own default: CRC32 of the key. Not compatible with Java clients.
    public static let consistentRandom = KafkaPartitionStrategy("consistent_random")

    /// The strategy's librdkafka name.
    public var description: String { name }
}
