/// Settings of a ``KafkaProducer`` or ``KafkaTransactionalProducer``.
///
/// Typed settings cover what Flowstate relies on; ``additionalProperties`` passes any other
/// librdkafka property through unchanged (and wins over a typed setting of the same key).
/// An unknown property or invalid value fails the producer's construction with a
/// ``KafkaError`` whose ``KafkaError/property`` names it.
public struct KafkaProducerConfig: Sendable {
    /// Brokers to bootstrap from, as `host:port`. Required.
    public var bootstrapServers: [String]
    /// The client id sent to brokers. Default: `"flowstate"`.
    public var clientID: String = "flowstate"
    /// Idempotent production (exactly one copy per record per partition, in order). Default: `true`.
    public var idempotent: Bool = true
    /// How long to wait for more records before sending a batch. Default: `.milliseconds(5)`.
    public var linger: Duration = .milliseconds(5)
    /// How records without an explicit partition are partitioned. Default:
    /// ``KafkaPartitionStrategy/murmur2Random``, as Java clients and stream processors do.
    public var partitioner: KafkaPartitionStrategy = .murmur2Random
    /// Compression of record batches. Default: ``KafkaCompression/lz4``.
    public var compression: KafkaCompression = .lz4
    /// How long a record may take to be delivered before it fails. Default: `.seconds(30)`.
    public var deliveryTimeout: Duration = .seconds(30)
    /// How long a transaction may stay open before the broker aborts it. Default: `.seconds(60)`.
    public var transactionTimeout: Duration = .seconds(60)
    /// Maximum records buffered in the client. Default: `1_000_000`.
    public var maxBufferedRecords: Int = 1_000_000
    /// Whether the producer remembers the highest acknowledged offset per partition of records
    /// enqueued with `produce` (see ``KafkaTransactionalProducer/takeDeliveredOffsets()``).
    /// Stream engines use it to checkpoint changelog positions. Default: `false`.
    public var tracksDeliveredOffsets: Bool = false
    /// Raw librdkafka properties, applied last. Default: empty.
    public var additionalProperties: [String: String] = [:]

    /// Creates a configuration for the given brokers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties, optionally with a `transactional.id`.
    func properties(transactionalID: String?) throws(KafkaError) -> [String: String] {
        var properties = try KafkaClientProperties(bootstrapServers: bootstrapServers, clientID: clientID)
        let idempotent = idempotent || transactionalID != nil
        properties.set("enable.idempotence", String(idempotent))
        if idempotent { properties.set("acks", "all") }
        try properties.set("linger.ms", milliseconds: linger)
        properties.set("compression.type", compression.name)
        properties.set("partitioner", partitioner.name)
        try properties.set("message.timeout.ms", milliseconds: deliveryTimeout)
        guard maxBufferedRecords > 0 else {
            throw KafkaError(.configuration, "queue.buffering.max.messages must be positive",
                             property: "queue.buffering.max.messages")
        }
        properties.set("queue.buffering.max.messages", String(maxBufferedRecords))
        if let transactionalID {
            guard !transactionalID.isEmpty else {
                throw KafkaError(.configuration, "transactional.id must not be empty", property: "transactional.id")
            }
            properties.set("transactional.id", transactionalID)
            try properties.set("transaction.timeout.ms", milliseconds: transactionTimeout)
        }
        properties.merge(additionalProperties)
        return properties.values
    }
}
