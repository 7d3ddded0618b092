import ArgumentParser
import FlowstateKafka
import Foundation

/// `flowstate demo`: the main job on the embedded cluster.
///
/// Until the streams engine lands, the demo is a round trip through an embedded cluster:
/// produce records, consume them back through a consumer group, and run one committed
/// and one aborted transaction, then print what was measured.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo on an in-process embedded Kafka cluster."
    )

    @Option(name: .long, help: "Records to produce and consume back.")
    var records: Int = 10_000

    @Option(name: .long, help: "Partitions of the demo topic.")
    var partitions: Int = 4

    func validate() throws {
        guard records >= 1 else { throw ValidationError("--records must be at least 1 (got \(records))") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1 (got \(partitions))") }
    }

    func run() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        defer { cluster.shutdown() }
        print("embedded cluster: bootstrap.servers=\(cluster.bootstrapServers)")
        let round = RoundTrip(bootstrapServers: cluster.bootstrapServers, topic: "demo.records",
                              partitions: partitions, records: records)
        try cluster.createTopic(round.topic, partitions: partitions)
        let summary = try await round.run()
        print(summary.table)
    }
}
