internal import CRdKafka
import Foundation
public import Logging

/// A topic to create with ``KafkaAdmin/createTopics(_:)``.
public struct KafkaNewTopic: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// The partition count.
    public var partitions: Int
    /// Replicas per partition; `-1` uses the broker default. Default: `-1`.
    public var replicationFactor: Int
    /// Topic configs, e.g. `["cleanup.policy": "compact"]`. Default: empty.
    public var configs: [String: String]

    /// Creates a topic description.
    public init(name: String, partitions: Int, replicationFactor: Int = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What the cluster's metadata says of a topic.
public struct KafkaTopicDescription: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// The partition ids, ascending.
    public var partitions: [Int32]
    /// The id of each partition's leader broker, by partition.
    public var leaders: [Int32: Int32]
}

/// Creates and describes topics.
///
/// - Note: librdkafka's mock cluster (``EmbeddedCluster``) does not support CreateTopics;
///   ``createTopics(_:)`` then throws ``KafkaError/Code/unsupported``, and topics must be
///   created with ``EmbeddedCluster/createTopic(_:partitions:replicationFactor:)``.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let requestTimeout: Duration
    private let bootstrapServers: [String]
    private let blocking: BlockingExecutor

    /// Creates an admin client.
    ///
    /// - Throws: ``KafkaError`` naming an invalid property.
    public init(config: KafkaAdminConfig,
                logger: Logger = Logger(label: "flowstate.kafka", factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError) {
        client = try RDKafkaClient.make(type: RD_KAFKA_PRODUCER, properties: config.properties(), logger: logger)
        requestTimeout = config.requestTimeout
        bootstrapServers = config.bootstrapServers
        blocking = BlockingExecutor(label: "flowstate.kafka.admin")
    }

    /// Creates topics; a topic that exists already is reported as ``KafkaError/Code/topicAlreadyExists``.
    ///
    /// - Returns: For each topic, `nil` when created or the error the broker gave.
    /// - Throws: ``KafkaError`` when the request as a whole fails
    ///   (``KafkaError/Code/unsupported`` when the broker does not support CreateTopics).
    public func createTopics(_ topics: [KafkaNewTopic]) async throws(KafkaError) -> [String: KafkaError?] {
        try await blocking.run { () throws(KafkaError) in try self.createTopics(topics) as [String: KafkaError?] }
    }

    /// Describes topics from the cluster's metadata; `nil` names every topic.
    ///
    /// - Throws: ``KafkaError`` when the metadata request fails.
    public func describeTopics(_ names: [String]? = nil) async throws(KafkaError) -> [KafkaTopicDescription] {
        try await blocking.run { () throws(KafkaError) in try self.describeTopics(names) as [KafkaTopicDescription] }
    }

    /// Lists the names of the cluster's topics, sorted.
    ///
    /// - Throws: ``KafkaError`` when the metadata request fails.
    public func listTopics() async throws(KafkaError) -> [String] {
        try await describeTopics().map(\.name).sorted()
    }

    // MARK: - Blocking forms (for dedicated threads)

    /// Blocking form of ``createTopics(_:)``.
    public func createTopics(_ topics: [KafkaNewTopic]) throws(KafkaError) -> [String: KafkaError?] {
        for topic in topics {
            guard !topic.name.isEmpty, topic.partitions >= 1 || topic.partitions == -1,
                  topic.replicationFactor >= 1 || topic.replicationFactor == -1 else {
                throw KafkaError(.invalidArgument, "topic '\(topic.name)': needs a name, partitions ≥ 1 and "
                                 + "replication factor ≥ 1 (or -1 for the broker default); got "
                                 + "\(topic.partitions) partitions, replication \(topic.replicationFactor)")
            }
        }
        // An embedded cluster in another process advertises its request topic; its brokers
        // would let CreateTopics time out.
        if (try? describeTopics([EmbeddedCluster.topicRequestTopic]) as [KafkaTopicDescription]) != nil {
            return try requestTopicsFromEmbeddedCluster(topics)
        }
        return try createTopicsWithRequest(topics)
    }

    /// Asks an embedded cluster in another process (`flowstate dev-broker`) to create the
    /// topics, then waits until they appear in the metadata.
    private func requestTopicsFromEmbeddedCluster(_ topics: [KafkaNewTopic]) throws(KafkaError) -> [String: KafkaError?] {
        let existing = Set((try describeTopics(nil) as [KafkaTopicDescription]).map(\.name))
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: bootstrapServers))
        var results: [String: KafkaError?] = [:]
        for topic in topics {
            if existing.contains(topic.name) {
                results[topic.name] = KafkaError(.topicAlreadyExists, "topic \(topic.name) already exists")
                continue
            }
            try producer.produce(KafkaProducerRecord(topic: EmbeddedCluster.topicRequestTopic, partition: 0,
                                                     key: topic.name, value: String(topic.partitions)))
            results[topic.name] = .some(nil)
        }
        try producer.flush(timeout: requestTimeout)
        try producer.close(timeout: requestTimeout)
        let wanted = Set(topics.map(\.name))
        let deadline = ContinuousClock.now + requestTimeout
        while ContinuousClock.now < deadline {
            let present = Set((try describeTopics(nil) as [KafkaTopicDescription]).map(\.name))
            if wanted.isSubset(of: present) { return results }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw KafkaError(.timedOut, "the embedded cluster did not create \(wanted.sorted()) within \(requestTimeout)")
    }

    private func createTopicsWithRequest(_ topics: [KafkaNewTopic]) throws(KafkaError) -> [String: KafkaError?] {
        guard !topics.isEmpty else { return [:] }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, Int32(topic.partitions), Int32(topic.replicationFactor),
                                                       &errorBuffer, errorBuffer.count) else {
                throw KafkaError(.invalidArgument, "topic \(topic.name): \(String(cBuffer: errorBuffer))")
            }
            newTopics.append(newTopic)
            for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                try KafkaError.check(rd_kafka_NewTopic_set_config(newTopic, key, value), "topic \(topic.name) config \(key)")
            }
        }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds(requestTimeout), &errorBuffer, errorBuffer.count)
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        rd_kafka_CreateTopics(client.handle, &newTopics, newTopics.count, options, queue)
        guard let event = rd_kafka_queue_poll(queue, milliseconds(requestTimeout + .seconds(5))) else {
            throw KafkaError(.timedOut, "CreateTopics got no answer within \(requestTimeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = String(cString: rd_kafka_event_error_string(event))
            var error = KafkaError.response(eventError, context: "CreateTopics")
            if error.code == .broker || eventError == RD_KAFKA_RESP_ERR__TIMED_OUT {
                // The mock cluster answers CreateTopics with nothing at all.
                error = KafkaError(.unsupported,
                                   "CreateTopics failed (\(text)); the broker may not support it — the embedded cluster does not")
            }
            throw error
        }
        var results: [String: KafkaError?] = [:]
        var count = 0
        let result = rd_kafka_event_CreateTopics_result(event)
        guard let topicResults = rd_kafka_CreateTopics_result_topics(result, &count) else { return results }
        for index in 0..<count {
            let topicResult = topicResults[index]
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let code = rd_kafka_topic_result_error(topicResult)
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                results[name] = .some(nil)
            } else {
                let message = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                results[name] = KafkaError.response(code, context: "create topic \(name): \(message)")
            }
        }
        return results
    }

    /// Blocking form of ``describeTopics(_:)``.
    public func describeTopics(_ names: [String]? = nil) throws(KafkaError) -> [KafkaTopicDescription] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(rd_kafka_metadata(client.handle, 1, nil, &metadata, milliseconds(requestTimeout)),
                             "metadata request")
        guard let metadata else { return [] }
        defer { rd_kafka_metadata_destroy(metadata) }
        let wanted = names.map(Set.init)
        var descriptions: [KafkaTopicDescription] = []
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            let name = String(cString: topic.topic)
            guard wanted?.contains(name) ?? !name.hasPrefix("__") else { continue }
            if topic.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if wanted != nil { throw KafkaError.response(topic.err, context: "describe topic \(name)") }
                continue
            }
            var leaders: [Int32: Int32] = [:]
            for p in 0..<Int(topic.partition_cnt) { leaders[topic.partitions[p].id] = topic.partitions[p].leader }
            descriptions.append(KafkaTopicDescription(name: name, partitions: leaders.keys.sorted(), leaders: leaders))
        }
        if let wanted {
            let missing = wanted.subtracting(descriptions.map(\.name))
            if let first = missing.sorted().first {
                throw KafkaError(.unknownTopic, "topic \(first) does not exist")
            }
        }
        return descriptions.sorted { $0.name < $1.name }
    }

    /// The cluster's id, from its metadata; `nil` when the brokers report none.
    ///
    /// librdkafka's mock cluster (``EmbeddedCluster``, `flowstate dev-broker`) reports ids that
    /// start with `mockCluster`.
    /// - Throws: ``KafkaError`` `.timedOut` when no broker answered within the request timeout.
    public func clusterID() throws(KafkaError) -> String? {
        // Asking for metadata first makes a failure to connect an error rather than `nil`.
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(rd_kafka_metadata(client.handle, 0, nil, &metadata, milliseconds(requestTimeout)),
                             "metadata request")
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard let id = rd_kafka_clusterid(client.handle, milliseconds(requestTimeout)) else { return nil }
        defer { rd_kafka_mem_free(client.handle, id) }
        return String(cString: id)
    }
}
