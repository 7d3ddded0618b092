import Flowstate
import FlowstateKafka
@testable import FlowstatePod
import Foundation
import Synchronization
import Testing

/// What a scale test runs and how it checks the result, so other topologies plug in.
protocol ScaleScenario: Sendable {
    /// The topology `flowstate run` runs.
    var topology: String { get }
    /// Extra arguments of `flowstate run` (topology options).
    var runArguments: [String] { get }
    /// Topics the broker creates, with partition counts.
    var topics: [String: Int] { get }
    /// The store interactive queries read.
    var store: String { get }
    /// The keys whose final state is checked; they are among the first ``initialRecords`` records.
    var keys: [String] { get }
    /// Records produced before the first pod starts; then 30 batches of ``batchSize`` follow.
    var initialRecords: Int { get }
    var batchSize: Int { get }
    /// The input records with indices in `range` (the test produces them in order).
    func records(_ range: Range<Int>) -> [KafkaProducerRecord]
    /// Whether `json`, what the store holds for `key`, is its final state once `total` records are processed.
    func isFinal(_ json: String, for key: String, total: Int) -> Bool
    /// Waits until the outputs show every record in its final state; returns what is wrong, or `nil`.
    func verifyOutputs(servers: String, total: Int, timeout: Duration) async throws -> String?
    /// Runs beside the pods from the start until cancelled (for example people approving).
    func whileRunning(servers: String) async throws
    /// What is wrong with the survivor's `/metrics` once every record is in its final state, or `nil`.
    func checkMetrics(_ text: String, total: Int) -> String?
}

extension ScaleScenario {
    var runArguments: [String] { [] }
    var initialRecords: Int { 1_200 }
    var batchSize: Int { 120 }
    func whileRunning(servers: String) async throws {}
    func checkMetrics(_ text: String, total: Int) -> String? { nil }
}

/// `word-count`: counts per key; the final count of each key is total / keys.
struct WordCountScenario: ScaleScenario {
    let topology = "word-count"
    let topics = ["words": 4, "word-counts": 4]
    let store = "counts"
    let keys = (0..<60).map { "key-\($0)" }

    func records(_ range: Range<Int>) -> [KafkaProducerRecord] {
        range.map { KafkaProducerRecord(topic: "words", key: keys[$0 % keys.count], value: "\($0)") }
    }

    func isFinal(_ json: String, for key: String, total: Int) -> Bool { json == String(total / keys.count) }

    func verifyOutputs(servers: String, total: Int, timeout: Duration) async throws -> String? {
        let reader = try OutputReader(servers: servers)
        let final = total / keys.count
        let complete = try await reader.waitUntil(timeout: timeout) { counts in keys.allSatisfy { counts[$0]?.max() == final } }
        guard complete else { return "not every key reached \(final): \(reader.counts.mapValues { $0.max() ?? 0 })" }
        // Every input is reflected: each key's outputs are 1...final (duplicates are possible on the
        // embedded broker, which shows records of transactions that never committed).
        let wrong = keys.filter { Set(reader.counts[$0] ?? []) != Set(1...final) }
        return wrong.isEmpty ? nil : "outputs of \(wrong) are not 1...\(final)"
    }
}

/// Pods as processes on a `flowstate dev-broker` process: scale out while records flow, then in
/// with SIGTERM and SIGKILL.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct PodScaleTests {
    @Test func wordCountScalesOutAndInWhileEveryRecordReachesItsFinalState() async throws {
        try await scaleOutAndIn(WordCountScenario())
    }

    @Test func statementsScaleOutAndInWhileEveryStatementReachesItsFinalState() async throws {
        try await scaleOutAndIn(StatementScenario())
    }

    func scaleOutAndIn(_ scenario: some ScaleScenario) async throws {
        let broker = try FlowstateProcess(["dev-broker"] + scenario.topics.sorted { $0.key < $1.key }
            .flatMap { ["--topic", "\($0.key):\($0.value)"] })
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        defer { broker.terminate() }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("scale-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let applicationID = "scale"
        var addresses: [String: String] = [:]
        func pod(_ name: String) throws -> FlowstateProcess {
            let port = try ListeningSocket.freePort()
            addresses[name] = "127.0.0.1:\(port)"
            return try FlowstateProcess(["run", scenario.topology, "--bootstrap-servers", servers,
                                         "--application-id", applicationID, "--instance-id", name,
                                         "--state-dir", "\(root)/\(name)", "--http-port", String(port),
                                         "--advertised-address", "127.0.0.1:\(port)",
                                         "--kafka-property", "session.timeout.ms=6000"] + scenario.runArguments,
                                        logFile: "\(root)/\(name).log")
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let companion = Task { try await scenario.whileRunning(servers: servers) }
        defer { companion.cancel() }
        // Keys are partitioned as Java clients do (murmur2), which interactive queries assume.
        var producerConfig = KafkaProducerConfig(bootstrapServers: [servers])
        producerConfig.additionalProperties["partitioner"] = "murmur2_random"
        let producer = try KafkaProducer(config: producerConfig)
        var produced = 0
        func produce(_ count: Int) async throws {
            for record in scenario.records(produced..<(produced + count)) { try producer.produce(record) }
            produced += count
            try await producer.flush()
        }
        let client = PodHTTPClient()
        func waitReady(_ names: [String], timeout: Duration = .seconds(60)) async -> Bool {
            await client.waitReady(names.map { addresses[$0]! }, timeout: timeout)
        }

        func log(_ name: String) -> String { (try? String(contentsOfFile: "\(root)/\(name).log", encoding: .utf8)) ?? "" }

        // One pod.
        try await produce(scenario.initialRecords)
        var pods = ["pod-a": try pod("pod-a")]
        #expect(await waitReady(["pod-a"]), "pod-a becomes ready: \(log("pod-a"))")
        // A pod that answers slowly is still up: on a two-core runner shared with other work a
        // /metrics answer (a watermark query per partition) took over 5 s; 20 s still catches a hang.
        var probeClient = client
        probeClient.timeout = .seconds(20)
        let probe = EndpointProbe(client: probeClient)
        probe.watch("pod-a", addresses["pod-a"]!)
        let probing = Task { await probe.run() }

        // Two more join while records flow; then one leaves with SIGTERM and one dies with SIGKILL.
        for batch in 0..<30 {
            try await produce(scenario.batchSize)
            switch batch {
            case 2: pods["pod-b"] = try pod("pod-b")
            case 4: pods["pod-c"] = try pod("pod-c")
            case 12:
                #expect(await waitReady(["pod-a", "pod-b", "pod-c"]), "three pods ready")
                probe.watch("pod-b", addresses["pod-b"]!)
                probe.watch("pod-c", addresses["pod-c"]!)
                // Any key, asked at any pod, is answered by the pod that owns it.
                try await Task.sleep(for: .seconds(1))
                for name in ["pod-a", "pod-b", "pod-c"] {
                    for key in scenario.keys {
                        // A 503 says a partition is between owners (a rebalance still settling, or the
                        // new owner's announcement not yet read by the asking pod): ask again. On a
                        // loaded two-core machine the first answer after "three pods ready" has taken
                        // more than 15 s (the owner was ready; the asking pod's roster lagged).
                        var answer = try await client.get(address: addresses[name]!,
                                                          path: InteractiveQueries.path(store: scenario.store, key: key, forwarded: false))
                        let settling = ContinuousClock.now + .seconds(45)
                        while answer.status == 503, ContinuousClock.now < settling {
                            try await Task.sleep(for: .milliseconds(250))
                            answer = try await client.get(address: addresses[name]!,
                                                          path: InteractiveQueries.path(store: scenario.store, key: key, forwarded: false))
                        }
                        #expect(answer.status == 200, "\(key) at \(name): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                        #expect(answer.pod != nil)
                    }
                }
            case 16:
                probe.unwatch("pod-b")
                #expect(await pods["pod-b"]!.stop(signal: SIGTERM, timeout: .seconds(35)) == 0, "pod-b stops cleanly")
            case 22:
                probe.unwatch("pod-c")
                #expect(await pods["pod-c"]!.stop(signal: SIGKILL, timeout: .seconds(5)) != 0)
            default: break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await producer.close()

        let problem = try await scenario.verifyOutputs(servers: servers, total: produced, timeout: .seconds(120))
        #expect(problem == nil, "\(problem ?? "")")
        if problem != nil {
            try? FileManager.default.removeItem(atPath: "/tmp/last-scale-\(scenario.topology)")
            try? FileManager.default.copyItem(atPath: root, toPath: "/tmp/last-scale-\(scenario.topology)")
        }
        #expect(await waitReady(["pod-a"]), "the survivor is ready")
        // The survivor answers every key with its final state from its own stores.
        let settled = ContinuousClock.now + .seconds(30)
        var wrong: [String] = scenario.keys
        while !wrong.isEmpty, ContinuousClock.now < settled {
            var still: [String] = []
            for key in wrong {
                let answer = try? await client.get(address: addresses["pod-a"]!,
                                                   path: InteractiveQueries.path(store: scenario.store, key: key, forwarded: false))
                if answer?.status != 200 || answer?.pod != "pod-a"
                    || !scenario.isFinal(String(decoding: answer?.body ?? [], as: UTF8.self), for: key, total: produced) {
                    still.append(key)
                }
            }
            wrong = still
            if !wrong.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(wrong.isEmpty, "keys without their final state at pod-a: \(wrong)")

        probing.cancel()
        _ = await probing.value
        #expect(probe.failures.isEmpty, "endpoints that did not answer: \(probe.failures.prefix(10))")
        #expect(probe.answers > 20, "probes answered: \(probe.answers)")
        // Lag is sampled every few seconds; after the last rebalance, the next sample covers the new
        // partitions (one watermark query per partition: 44 for the statement topology, which takes longer).
        var metrics = ""
        let sampled = ContinuousClock.now + .seconds(45)
        while ContinuousClock.now < sampled, !metrics.contains("flowstate_consumer_lag{") {
            metrics = String(decoding: try await client.get(address: addresses["pod-a"]!, path: "/metrics").body, as: UTF8.self)
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(metrics.contains("flowstate_records_processed_total"))
        // Scenario metrics (status gauges) are recounted every few seconds.
        var metricsProblem = scenario.checkMetrics(metrics, total: produced)
        let recounted = ContinuousClock.now + .seconds(15)
        while metricsProblem != nil, ContinuousClock.now < recounted {
            try await Task.sleep(for: .milliseconds(500))
            metrics = String(decoding: try await client.get(address: addresses["pod-a"]!, path: "/metrics").body, as: UTF8.self)
            metricsProblem = scenario.checkMetrics(metrics, total: produced)
        }
        #expect(metricsProblem == nil, "\(metricsProblem ?? "")")
        #expect(await pods["pod-a"]!.stop(signal: SIGTERM, timeout: .seconds(35)) == 0, "pod-a stops cleanly")
        #expect(metrics.contains("flowstate_consumer_lag{"), "lag is sampled for owned partitions: \(log("pod-a"))")
    }
}

extension PodHTTPClient {
    /// Waits until every pod at `addresses` answers `/ready` with `200`; returns whether they did in time.
    func waitReady(_ addresses: [String], timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var all = true
            for address in addresses where (try? await get(address: address, path: "/ready"))?.status != 200 { all = false }
            if all { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// The tasks (`subtopology_partition`) a ready pod reports at `/ready`; `nil` when it is not ready.
    func readyTasks(_ address: String) async -> Set<String>? {
        guard let answer = try? await get(address: address, path: "/ready"), answer.status == 200,
              let body = try? JSONDecoder().decode([String: String].self, from: Data(answer.body)) else { return nil }
        return Set((body["tasks"] ?? "").split(separator: ",").map(String.init))
    }
}

/// Asks `/ready` and `/metrics` of every watched pod, over and over, and records any that does
/// not answer (a `503` from `/ready` is an answer).
final class EndpointProbe: Sendable {
    let client: PodHTTPClient
    private let state = Mutex<(pods: [String: String], failures: [String], answers: Int)>(([:], [], 0))

    init(client: PodHTTPClient) { self.client = client }

    func watch(_ name: String, _ address: String) { state.withLock { $0.pods[name] = address } }
    func unwatch(_ name: String) { state.withLock { $0.pods[name] = nil } }
    var failures: [String] { state.withLock { $0.failures } }
    var answers: Int { state.withLock { $0.answers } }

    func run() async {
        while !Task.isCancelled {
            for (name, address) in state.withLock({ $0.pods }) {
                for path in ["/ready", "/metrics"] {
                    let status = (try? await client.get(address: address, path: path))?.status
                    let answered = path == "/ready" ? (status == 200 || status == 503) : status == 200
                    // A pod unwatched meanwhile (being stopped) may not answer; a request cut short
                    // because the probing itself was cancelled is no pod's failure.
                    guard !Task.isCancelled, state.withLock({ $0.pods[name] != nil }) else { continue }
                    state.withLock {
                        if answered { $0.answers += 1 } else { $0.failures.append("\(name)\(path): \(status.map(String.init) ?? "no answer")") }
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(300))
        }
    }
}
