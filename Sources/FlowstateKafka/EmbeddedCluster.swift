internal import CRdKafka
public import Logging
import Synchronization

/// An in-process Kafka cluster: librdkafka's mock cluster, speaking the real Kafka
/// protocol on localhost ports.
///
/// It is Flowstate's default broker for the demo and the tests. Its limits (librdkafka
/// 2.0.2): topics are created here, not through the admin API; no log compaction; no
/// abort markers, so read_committed consumers still see aborted records; transactional
/// offset commits are acknowledged but not stored; only the newest ~5 MB of each partition
/// is kept. Code written against it must stay correct for a real cluster.
///
/// ```swift
/// let cluster = try EmbeddedCluster(brokers: 3)
/// try cluster.createTopic("orders", partitions: 4)
/// let producer = try KafkaProducer(config: .init(bootstrapServers: [cluster.bootstrapServers]))
/// ```
public final class EmbeddedCluster: Sendable {
    private let host: RDKafkaClient
    private let cluster: Mutex<SendableOpaquePointer?>
    /// The brokers' addresses, comma-separated `host:port`, for `bootstrap.servers`.
    public let bootstrapServers: String
    /// The number of brokers.
    public let brokerCount: Int
    /// How many broker listeners had Nagle's algorithm turned off (see `BrokerListenerSockets`).
    package let listenersWithoutNagle: Int

    /// Starts a cluster of `brokers` brokers listening on free localhost ports.
    ///
    /// - Parameters:
    ///   - brokers: How many brokers, at least 1. Default: 1.
    ///   - logger: Receives the mock's log lines.
    /// - Throws: ``KafkaError`` when `brokers` is not positive or the cluster cannot start.
    public init(brokers: Int = 1,
                logger: Logger = Logger(label: "flowstate.kafka.embedded", factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError) {
        guard brokers >= 1 else {
            throw KafkaError(.configuration, "an embedded cluster needs at least one broker (got \(brokers))",
                             property: "brokers")
        }
        host = try RDKafkaClient.make(type: RD_KAFKA_PRODUCER, properties: ["client.id": "flowstate-embedded-cluster"],
                                      logger: logger)
        guard let mock = rd_kafka_mock_cluster_new(host.handle, Int32(brokers)) else {
            throw KafkaError(.fatal, "librdkafka could not start a mock cluster with \(brokers) brokers")
        }
        cluster = Mutex(SendableOpaquePointer(mock))
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mock))
        brokerCount = brokers
        listenersWithoutNagle = BrokerListenerSockets.disableNagle(ports: BrokerListenerSockets.ports(ofBootstrapServers: bootstrapServers))
    }

    /// Creates a topic (or fails if it exists with a different layout).
    ///
    /// - Parameters:
    ///   - name: The topic's name.
    ///   - partitions: The partition count, at least 1.
    ///   - replicationFactor: Replicas per partition, at most the broker count. Default: 1.
    /// - Throws: ``KafkaError`` for invalid counts, or when the cluster was shut down.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        guard partitions >= 1 else {
            throw KafkaError(.invalidArgument, "topic \(name): partitions must be at least 1 (got \(partitions))")
        }
        guard (1...brokerCount).contains(replicationFactor) else {
            throw KafkaError(.invalidArgument,
                             "topic \(name): replication factor \(replicationFactor) needs 1...\(brokerCount) brokers")
        }
        try withCluster { mock throws(KafkaError) in
            try KafkaError.check(rd_kafka_mock_topic_create(mock, name, Int32(partitions), Int32(replicationFactor)),
                                 "create topic \(name)")
        }
    }

    /// Makes the next `count` requests of the given Kafka API fail with `errorName`'s code,
    /// e.g. `injectRequestErrors(apiKey: 0, errorName: "NOT_LEADER_FOR_PARTITION", count: 2)`.
    ///
    /// - Throws: ``KafkaError`` for an unknown error name or a shut-down cluster.
    package func injectRequestErrors(apiKey: Int16, errorCode: Int32, count: Int) throws(KafkaError) {
        try withCluster { mock throws(KafkaError) in
            let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(errorCode), count: count)
            rd_kafka_mock_push_request_errors_array(mock, apiKey, count, errors)
        }
    }

    /// Stops the brokers and closes their ports. Idempotent; clients still connected see
    /// their brokers go down.
    public func shutdown() {
        let mock = cluster.withLock { pointer -> SendableOpaquePointer? in
            defer { pointer = nil }
            return pointer
        }
        if let mock { rd_kafka_mock_cluster_destroy(mock.pointer) }
    }

    private func withCluster<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try cluster.withLock { pointer throws(KafkaError) -> T in
            guard let pointer else { throw KafkaError(.closed, "the embedded cluster was shut down") }
            return try body(pointer.pointer)
        }
    }

    deinit { shutdown() }
}
