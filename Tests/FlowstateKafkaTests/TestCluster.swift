import FlowstateKafka
import Foundation

/// The broker a test runs against: a fresh ``EmbeddedCluster`` by default, or a real
/// cluster when `FLOWSTATE_TEST_BOOTSTRAP_SERVERS` is set.
final class TestCluster: Sendable {
    let embedded: EmbeddedCluster?
    let bootstrapServers: String

    init(brokers: Int = 1) throws {
        if let external = ProcessInfo.processInfo.environment["FLOWSTATE_TEST_BOOTSTRAP_SERVERS"], !external.isEmpty {
            embedded = nil
            bootstrapServers = external
        } else {
            let cluster = try EmbeddedCluster(brokers: brokers)
            embedded = cluster
            bootstrapServers = cluster.bootstrapServers
        }
    }

    /// Whether this is librdkafka's mock cluster (with its documented limits).
    var isEmbedded: Bool { embedded != nil }

    /// Creates a topic with a unique name and returns the name.
    func makeTopic(_ prefix: String, partitions: Int) async throws -> String {
        let name = "\(prefix)-\(UUID().uuidString.prefix(8))"
        if let embedded {
            try embedded.createTopic(name, partitions: partitions)
        } else {
            let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [bootstrapServers]))
            let results = try await admin.createTopics([KafkaNewTopic(name: name, partitions: partitions)])
            if let error = results[name] ?? nil { throw error }
        }
        return name
    }

    func producerConfig() -> KafkaProducerConfig {
        KafkaProducerConfig(bootstrapServers: [bootstrapServers])
    }

    func consumerConfig(group: String, strategy: KafkaAssignmentStrategy = .range) -> KafkaConsumerConfig {
        var config = KafkaConsumerConfig(bootstrapServers: [bootstrapServers], groupID: group)
        config.assignmentStrategy = strategy
        config.sessionTimeout = .seconds(6)
        return config
    }

    deinit { embedded?.shutdown() }
}

/// Polls until `count` records arrived or `timeout` passed.
func consume(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerRecord] {
    var records: [KafkaConsumerRecord] = []
    let deadline = ContinuousClock.now + timeout
    while records.count < count, ContinuousClock.now < deadline {
        records += try await consumer.poll(maxRecords: 5000, timeout: .milliseconds(200))
    }
    return records
}

/// Polls (serving rebalance callbacks) until `condition` holds or `timeout` passed.
func poll(_ consumers: [KafkaConsumer], until condition: () throws -> Bool,
          timeout: Duration = .seconds(30)) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        for consumer in consumers { _ = try await consumer.poll(timeout: .milliseconds(100)) }
        if try condition() { return true }
    }
    return false
}
