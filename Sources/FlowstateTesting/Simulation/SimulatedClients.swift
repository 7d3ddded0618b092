package import Flowstate
import FlowstateKafka

/// The Kafka clients of one simulated application instance, all on one ``SimulatedKafka`` and
/// one ``SimulatedProcess`` (so a crash or pause affects every client of the instance).
///
/// `@unchecked Sendable`: a simulation runs on one thread.
package final class SimulatedClients: KafkaClientSupplier, @unchecked Sendable {
    let kafka: SimulatedKafka
    let process: SimulatedProcess
    let retryChance: Double

    /// Creates the supplier of one instance.
    ///
    /// - Parameter retryChance: Probability that a send is retried (and deduplicated by the broker).
    package init(kafka: SimulatedKafka, process: SimulatedProcess, retryChance: Double = 0.02) {
        self.kafka = kafka
        self.process = process
        self.retryChance = retryChance
    }

    package func makeConsumer(groupID: String, groupInstanceID: String?, clientID: String) throws -> any StreamConsumer {
        try process.ensureAlive()
        return SimulatedConsumer(kafka: kafka, groupID: groupID, instanceID: groupInstanceID, process: process)
    }

    package func makeRestoreConsumer(clientID: String) throws -> any StreamConsumer {
        try process.ensureAlive()
        return SimulatedConsumer(kafka: kafka, groupID: "\(clientID)-restore", instanceID: nil, process: process)
    }

    package func makeProducer(transactionalID: String?, clientID: String) throws -> any StreamProducer {
        try process.ensureAlive()
        return SimulatedProducer(kafka: kafka, transactionalID: transactionalID, process: process, retryChance: retryChance)
    }

    package func makeAdmin() throws -> any StreamAdmin {
        try process.ensureAlive()
        return SimulatedAdmin(kafka: kafka)
    }
}

/// Topic administration on a ``SimulatedKafka``.
final class SimulatedAdmin: StreamAdmin {
    let kafka: SimulatedKafka
    init(kafka: SimulatedKafka) { self.kafka = kafka }

    func partitionCounts(of topics: [String]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for topic in topics { counts[topic] = kafka.partitionCount(topic) }
        return counts
    }

    func clusterID() throws -> String? { "simulated" }

    func createTopics(_ topics: [KafkaNewTopic]) throws {
        for topic in topics where kafka.partitionCount(topic.name) == nil {
            try kafka.createTopic(topic.name, partitions: topic.partitions, compacted: topic.configs["cleanup.policy"] == "compact")
        }
    }
}
