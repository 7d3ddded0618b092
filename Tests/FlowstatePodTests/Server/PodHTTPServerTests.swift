import Flowstate
import FlowstateKafka
@testable import FlowstatePod
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
import WordCount

/// One pod in process on an embedded cluster: its HTTP endpoints over a real socket.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PodHTTPServerTests {
    @Test func podAnswersHealthReadinessMetricsAndInteractiveQueriesFromItsStores() async throws {
        let cluster = try EmbeddedCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic(WordCount.inputTopic, partitions: 4)
        try cluster.createTopic(WordCount.outputTopic, partitions: 4)
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pod-http-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        var config = FlowstateConfig(applicationID: "pod-http", bootstrapServers: [cluster.bootstrapServers])
        config.stateDirectory = stateDirectory
        config.instanceID = "pod-a"
        config.sessionTimeout = .seconds(6)

        var producerConfig = KafkaProducerConfig(bootstrapServers: [cluster.bootstrapServers])
        producerConfig.additionalProperties["partitioner"] = "murmur2_random"  // as Java clients; queries assume it
        let producer = try KafkaProducer(config: producerConfig)
        for index in 0..<300 { try producer.produce(KafkaProducerRecord(topic: WordCount.inputTopic, key: "k\(index % 30)", value: "x")) }
        try await producer.flush()

        let registry = PrometheusCollectorRegistry()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = FlowstateApplication(topology: try WordCount.topology(), config: config, embeddedCluster: cluster,
                                       logger: logger, metricsFactory: PrometheusMetricsFactory(registry: registry))
        let directory = PodDirectory(application: app, config: config, advertisedAddress: "127.0.0.1:1",
                                     embeddedCluster: cluster, logger: logger)
        let port = BoundPort()
        let server = PodHTTPServer(application: app, directory: directory, metrics: PodMetrics(registry: registry),
                                   instanceID: "pod-a", host: "127.0.0.1", port: 0, logger: logger)
        let group = ServiceGroup(services: [server.makeService { port.set($0) }, directory, app], logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }

        let address = "127.0.0.1:\(try await port.wait())"
        // Generous: in a full test run on two cores, other suites' CPU-bound tests can hold the
        // cooperative pool that the server's handlers run on for several seconds.
        var client = PodHTTPClient()
        client.timeout = .seconds(60)
        #expect(try await client.get(address: address, path: "/health").status == 200)

        // Ready once restored and running; every input record processed.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, app.runtimeStatus.processedRecords < 300 || app.runtimeStatus.commits == 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let ready = try await client.get(address: address, path: "/ready")
        #expect(ready.status == 200, "\(String(decoding: ready.body, as: UTF8.self))")
        #expect(app.runtimeStatus.assignedPartitions.count == 4)

        let metrics = String(decoding: try await client.get(address: address, path: "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"flowstate_records_processed_total{application="pod-http"} 300"#), "\(metrics)")
        #expect(metrics.contains("flowstate_ready 1"))
        #expect(metrics.contains("flowstate_commit_latency_seconds_count"))
        #expect(metrics.contains("flowstate_tasks_assigned 4"))
        #expect(metrics.contains(#"flowstate_store_entries{store="counts"}"#))

        // Interactive queries: committed counts as JSON, 404s with reasons.
        let count = try await client.get(address: address, path: "/stores/counts/k7")
        #expect(count.status == 200)
        #expect(String(decoding: count.body, as: UTF8.self) == "10")
        #expect(count.pod == "pod-a")
        #expect(try await client.get(address: address, path: "/stores/counts/absent").status == 404)
        let unknown = try await client.get(address: address, path: "/stores/nope/k7")
        #expect(unknown.status == 404)
        #expect(String(decoding: unknown.body, as: UTF8.self).contains("no store named"))

        // The directory announced this pod with its four partitions.
        let announced = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < announced, directory.owner(ofPartition: 3, topics: [WordCount.inputTopic]) == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(directory.owner(ofPartition: 3, topics: [WordCount.inputTopic])?.instanceID == "pod-a")

        // Lag of every owned partition is sampled: all input is processed, so once a sample follows
        // the commit of the last records (every 5 s; an earlier one may predate it), it is zero.
        let sampled = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < sampled, directory.consumerLag.count < 4 || directory.consumerLag.values.contains(where: { $0 != 0 }) {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(directory.consumerLag.count == 4, "positions: \(app.runtimeStatus.positions)")
        #expect(directory.consumerLag.values.allSatisfy { $0 == 0 }, "\(directory.consumerLag)")

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(app.state == .stopped)
    }

    @Test func statusCountsFollowTransitionsAsPrometheusGauges() {
        let registry = PrometheusCollectorRegistry()
        let counts = StatusCounts(machine: "statement", factory: PrometheusMetricsFactory(registry: registry))
        counts.transition(from: nil, to: "REQUESTED")
        counts.transition(from: nil, to: "REQUESTED")
        counts.transition(from: "REQUESTED", to: "GENERATED")
        #expect(counts.count(of: "REQUESTED") == 1)
        let text = registry.emitToString()
        #expect(text.contains(#"flowstate_status_entities{machine="statement",status="GENERATED"} 1"#), "\(text)")
        counts.set("GENERATED", to: 5)
        #expect(registry.emitToString().contains(#"status="GENERATED"} 5"#))
    }
}

/// The port the server bound, once it listens.
final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    func wait() async throws -> Int {
        for _ in 0..<200 {
            if let value = port.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }
}
