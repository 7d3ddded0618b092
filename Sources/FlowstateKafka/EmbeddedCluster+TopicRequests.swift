import Foundation
public import Logging

extension EmbeddedCluster {
    /// The topic through which clients in other processes ask an embedded cluster to create
    /// topics (its brokers cannot serve CreateTopics). Records: key = topic name, value =
    /// partition count as text.
    public static let topicRequestTopic = "__flowstate-embedded-topic-requests"

    /// Serves topic-creation requests from other processes until the returned handle is
    /// stopped: ``KafkaAdmin/createTopics(_:)`` falls back to this when CreateTopics is unsupported.
    ///
    /// - Throws: ``KafkaError`` when the request topic or its consumer cannot be created.
    public func serveTopicRequests(logger: Logger = Logger(label: "flowstate.kafka.embedded",
                                                           factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError)
        -> EmbeddedTopicRequestServer {
        do {
            try createTopic(Self.topicRequestTopic, partitions: 1)
        } catch {
            if error.code != .topicAlreadyExists { throw error }
        }
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: [bootstrapServers],
                                                                     groupID: "flowstate-embedded-topic-requests"))
        try consumer.assign([KafkaTopicPartition(topic: Self.topicRequestTopic, partition: 0): .beginning])
        return EmbeddedTopicRequestServer(cluster: self, consumer: consumer, logger: logger)
    }
}

/// Creates the topics other processes request through ``EmbeddedCluster/topicRequestTopic``.
public final class EmbeddedTopicRequestServer: Sendable {
    private let thread: DedicatedThread
    private let consumer: KafkaConsumer

    init(cluster: EmbeddedCluster, consumer: KafkaConsumer, logger: Logger) {
        self.consumer = consumer
        thread = DedicatedThread(name: "fs-topic-req") {
            guard let records = try? consumer.poll(maxRecords: 100, timeout: .milliseconds(100)) else { return }
            for record in records {
                guard let name = record.keyString, let partitions = Int(record.valueString ?? "") else { continue }
                do throws(KafkaError) {
                    try cluster.createTopic(name, partitions: partitions)
                    logger.info("Created topic on request", metadata: ["kafka.topic": "\(name)", "kafka.partitions": "\(partitions)"])
                } catch {
                    if error.code != .topicAlreadyExists {
                        logger.warning("Topic request failed", metadata: ["kafka.topic": "\(name)", "kafka.error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Stops serving requests. Idempotent.
    public func stop() {
        thread.stop()
        try? consumer.close()
    }

    deinit { stop() }
}
