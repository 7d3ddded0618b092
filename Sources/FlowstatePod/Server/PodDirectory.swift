public import Flowstate
public import FlowstateKafka
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Host discovery: each pod announces its advertised address and its partitions on the
/// compacted topic `<application-id>-pods` (keyed by instance id, a tombstone on clean
/// shutdown), and every pod reads the whole topic to know which pod owns which partition.
///
/// Runs on a dedicated thread (librdkafka calls block): it reads announcements, announces this
/// pod whenever its assignment or readiness changes, and samples the consumer lag of the
/// partitions it owns (high watermark minus the committed position) every few seconds.
///
/// The reader is a plain consumer with `assign` on partition 0 (no group); the writer an
/// idempotent producer.
public final class PodDirectory: Service, Sendable {
    /// The pods topic of an application: `<application-id>-pods`.
    public static func topic(applicationID: String) -> String { "\(applicationID)-pods" }

    let application: FlowstateApplication
    let config: FlowstateConfig
    let advertisedAddress: String
    let embeddedCluster: EmbeddedCluster?
    let logger: Logger
    private let roster = Mutex(PodRoster())
    private let lag = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let stopRequested = Atomic<Bool>(false)
    /// Who waits for the directory thread, and the error it ended with.
    private let outcome = Mutex<(continuation: CheckedContinuation<Void, Never>?, error: (any Error)?)>((nil, nil))

    /// Creates the directory of one pod.
    ///
    /// - Parameters:
    ///   - application: The pod's application, whose assignment it announces.
    ///   - config: The application's settings (application id, instance id, brokers, properties).
    ///   - advertisedAddress: `host:port` where other pods reach this pod's HTTP server.
    ///   - embeddedCluster: An in-process embedded cluster, which creates the topic itself.
    ///   - logger: Receives the directory's logs.
    public init(application: FlowstateApplication, config: FlowstateConfig, advertisedAddress: String,
                embeddedCluster: EmbeddedCluster? = nil, logger: Logger) {
        self.application = application
        self.config = config
        self.advertisedAddress = advertisedAddress
        self.embeddedCluster = embeddedCluster
        self.logger = logger
    }

    /// Every pod known, by the latest announcements.
    public var pods: [PodAnnouncement] { roster.withLock { $0.pods } }

    /// The pod that owns `partition` of any of `topics`, if any pod claims it.
    public func owner(ofPartition partition: Int32, topics: [String]) -> PodAnnouncement? {
        roster.withLock { $0.owner(ofPartition: partition, topics: topics) }
    }

    /// Consumer lag per owned partition, as last sampled.
    public var consumerLag: [KafkaTopicPartition: Int64] { lag.withLock { $0 } }

    /// Reads and writes announcements until graceful shutdown, then publishes a tombstone.
    ///
    /// - Throws: ``KafkaError`` when the clients cannot be created or the topic cannot be made.
    public func run() async throws {
        let thread = Thread { [self] in
            nameCurrentThread("fs-pod-dir")
            var failure: (any Error)?
            do {
                let (consumer, producer) = try connect()
                loop(consumer: consumer, producer: producer)
            } catch {
                failure = error
            }
            let continuation = self.outcome.withLock { state in
                state.error = failure
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume()
        }
        thread.name = "fs-pod-dir"
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                self.outcome.withLock { $0.continuation = continuation }
                thread.start()
            }
        } onGracefulShutdown: {
            self.stopRequested.store(true, ordering: .releasing)
        }
        if let error = self.outcome.withLock({ $0.error }) { throw error }
    }

    private func connect() throws -> (KafkaConsumer, KafkaProducer) {
        let topic = Self.topic(applicationID: config.applicationID)
        if let embeddedCluster {
            do { try embeddedCluster.createTopic(topic, partitions: 1) } catch { if error.code != .topicAlreadyExists { throw error } }
        } else {
            var adminConfig = KafkaAdminConfig(bootstrapServers: config.bootstrapServers)
            adminConfig.additionalProperties = config.kafkaProperties
            let admin = try KafkaAdmin(config: adminConfig, logger: logger)
            let results: [String: KafkaError?] = try admin.createTopics([
                KafkaNewTopic(name: topic, partitions: 1, configs: ["cleanup.policy": "compact"]),
            ])
            if let failure = results[topic] ?? nil, failure.code != .topicAlreadyExists { throw failure }
        }
        var consumerConfig = KafkaConsumerConfig(bootstrapServers: config.bootstrapServers,
                                                 groupID: "\(config.applicationID)-pods-\(config.instanceID)")
        consumerConfig.clientID = "\(config.applicationID)-\(config.instanceID)-pods"
        consumerConfig.additionalProperties = config.kafkaProperties
        let consumer = try KafkaConsumer(config: consumerConfig, logger: logger)
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        var producerConfig = KafkaProducerConfig(bootstrapServers: config.bootstrapServers)
        producerConfig.clientID = "\(config.applicationID)-\(config.instanceID)-pods"
        producerConfig.linger = .zero
        producerConfig.additionalProperties = config.kafkaProperties
        let producer = try KafkaProducer(config: producerConfig, logger: logger)
        return (consumer, producer)
    }

    private func loop(consumer: KafkaConsumer, producer: KafkaProducer) {
        let topic = Self.topic(applicationID: config.applicationID)
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var announced: PodAnnouncement?
        var lastLagSample = ContinuousClock.now - .seconds(60)
        while !stopRequested.load(ordering: .acquiring) {
            do {
                let records = try consumer.poll(maxRecords: 1_000, timeout: .milliseconds(100))
                if !records.isEmpty {
                    roster.withLock { roster in
                        for record in records {
                            guard let instance = record.keyString else { continue }
                            let announcement = record.value.flatMap { try? decoder.decode(PodAnnouncement.self, from: Data($0)) }
                            roster.apply(instanceID: instance, announcement: announcement, offset: record.offset)
                        }
                    }
                }
                let status = application.runtimeStatus
                let current = PodAnnouncement(instanceID: config.instanceID, advertisedAddress: advertisedAddress, status: status)
                if current != announced {
                    try producer.produce(KafkaProducerRecord(topic: topic, partition: 0, key: Array(config.instanceID.utf8),
                                                             value: Array(try encoder.encode(current))))
                    announced = current
                    logger.debug("Pod announced", metadata: ["flowstate.partitions": "\(current.partitions)",
                                                             "flowstate.ready": "\(current.ready)"])
                }
                if ContinuousClock.now - lastLagSample >= .seconds(5) {
                    lastLagSample = .now
                    var sampled: [KafkaTopicPartition: Int64] = [:]
                    // One watermark query per owned partition; a stop request ends the sample
                    // (a pod stopping must not wait for dozens of queries).
                    for (partition, position) in status.positions where !stopRequested.load(ordering: .acquiring) {
                        let (_, high) = try consumer.watermarks(of: partition, timeout: .seconds(2))
                        sampled[partition] = max(0, high - position)
                    }
                    lag.withLock { $0 = sampled }
                }
            } catch {
                logger.warning("Pod directory", metadata: ["flowstate.error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        do {
            try producer.produce(KafkaProducerRecord(topic: topic, partition: 0, key: Array(config.instanceID.utf8), value: nil))
            try producer.flush(timeout: .seconds(5))
        } catch {
            logger.warning("Pod directory could not publish its tombstone", metadata: ["flowstate.error": "\(error)"])
        }
        try? producer.close(timeout: .seconds(5))
        try? consumer.close()
    }
}
