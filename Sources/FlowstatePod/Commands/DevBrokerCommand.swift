import ArgumentParser
import FlowstateKafka
import Foundation
import UnixSignals

/// `<pod> dev-broker`: hosts an embedded Kafka cluster in its own process.
struct DevBrokerCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an embedded Kafka cluster (librdkafka's mock) until SIGINT or SIGTERM.",
        discussion: """
            Prints `bootstrap.servers=<list>` as its first line on stdout, then one `topic=NAME:PARTITIONS` \
            line per created topic. Several pods (processes) can share it; their admin clients create \
            topics through it (its brokers cannot serve CreateTopics). Limits: no log compaction, \
            aborted transactions stay visible, transactional offset commits are not stored, \
            ~5 MB kept per partition.
            """
    ) }

    @Option(name: .long, help: "Number of brokers.")
    var brokers: Int = 1

    @Option(name: .long, help: "A topic to create, as NAME:PARTITIONS (repeatable).")
    var topic: [TopicSpec] = []

    @Option(name: .long, help: "Create every topic of a registered topology, as TOPOLOGY:PARTITIONS (repeatable).")
    var topology: [TopicSpec] = []

    /// The topics to create: `--topic`s, then each `--topology`'s, each once.
    func topics() throws -> [TopicSpec] {
        var specs = topic
        for spec in topology {
            for name in try PodCatalog.registration(named: spec.name).topics where !specs.contains(where: { $0.name == name }) {
                specs.append(TopicSpec(name: name, partitions: spec.partitions))
            }
        }
        return specs
    }

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1 (got \(brokers))") }
    }

    func run() async throws {
        let topics = try topics()
        let cluster = try EmbeddedCluster(brokers: brokers)
        for spec in topics {
            do {
                try cluster.createTopic(spec.name, partitions: spec.partitions)
            } catch {
                throw ValidationError("--topic \(spec.name):\(spec.partitions): \(error)")
            }
        }
        // Its brokers cannot serve CreateTopics; pods create internal topics through this instead.
        let topicRequests = try cluster.serveTopicRequests()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        var banner = "bootstrap.servers=\(cluster.bootstrapServers)\n"
        for spec in topics { banner += "topic=\(spec.name):\(spec.partitions)\n" }
        FileHandle.standardOutput.write(Data(banner.utf8))
        for await _ in signals { break }
        topicRequests.stop()
        cluster.shutdown()
    }
}
