import ArgumentParser
import FlowstateKafka

/// `<pod> create-topics <topology> --partitions N`: creates every source and sink topic a
/// registered topology needs, on a Kafka cluster or `dev-broker`; topics that exist are left
/// as they are.
struct CreateTopicsCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "create-topics",
            abstract: "Create every topic a topology reads and writes (internal changelog topics: the pods create those).",
            discussion: "Topologies: \(PodCatalog.names.joined(separator: ", ")). Topics that already exist are left as "
                + "they are and listed as such; give every topic of one application the same partition count.")
    }

    @Argument(help: "The topologies.")
    var topologies: [String]
    @Option(help: "Partitions of each topic.")
    var partitions: Int
    @Option(help: "Replicas of each partition; default: the cluster's default.")
    var replicationFactor: Int = -1
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard !topologies.isEmpty else { throw ValidationError("give at least one topology") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1 (got \(partitions))") }
        guard replicationFactor == -1 || replicationFactor >= 1 else {
            throw ValidationError("--replication-factor must be at least 1 (got \(replicationFactor))")
        }
    }

    func run() async throws {
        var topics: [String] = []
        for name in topologies {
            for topic in try PodCatalog.registration(named: name).topics where !topics.contains(topic) { topics.append(topic) }
        }
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: try cluster.servers()))
        let results = try await admin.createTopics(topics.map {
            KafkaNewTopic(name: $0, partitions: partitions, replicationFactor: replicationFactor)
        })
        var failures: [String] = []
        for topic in topics {
            switch results[topic] ?? nil {
            case nil: print("created \(topic):\(partitions)")
            case let error? where error.code == .topicAlreadyExists: print("exists  \(topic)")
            case let error?: failures.append("\(topic): \(error.message)")
            }
        }
        guard failures.isEmpty else { throw ValidationError("cannot create " + failures.joined(separator: "; ")) }
    }
}
