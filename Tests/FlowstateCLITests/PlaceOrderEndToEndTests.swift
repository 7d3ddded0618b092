import Flowstate
import FlowstateKafka
import Foundation
import PlaceOrder
import Saga
import Testing

/// The place-order orchestrator and its worker as separate pods on a `flowstate dev-broker`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PlaceOrderEndToEndTests {
    /// What each saga is asked to do, by index.
    enum Scenario: CaseIterable {
        case happy, failsAtLastStep, retriesThenSucceeds, compensationFails, immediateRetry

        init(_ index: Int) {
            switch index % 10 {
            case 3: self = .failsAtLastStep
            case 5: self = .retriesThenSucceeds
            case 7: self = .compensationFails
            case 9: self = .immediateRetry
            default: self = .happy
            }
        }

        var order: JSONObject {
            var order: JSONObject = ["username": "user", "total_amount": 250]
            switch self {
            case .happy: break
            case .failsAtLastStep: order["no_courier"] = true
            case .retriesThenSucceeds: order["payment_transient_failures"] = 1
            case .compensationFails: order["no_courier"] = true; order["refund_fails"] = true
            case .immediateRetry: order["payment_flaky"] = 1
            }
            return order
        }

        var expectedStatus: SagaStatus {
            switch self {
            case .happy, .retriesThenSucceeds, .immediateRetry: .completed
            case .failsAtLastStep: .compensated
            case .compensationFails: .compensationFailed
            }
        }
    }

    /// Plain, and (issue 14) with every endpoint a 50 ms call and the worker pod killed with
    /// SIGKILL while calls are in flight, then started again on its state directory.
    @Test(arguments: [false, true])
    func aThousandSagasEndInTheirExpectedTerminalStatusWithCompensationsInReverse(killingTheWorkerMidCall: Bool) async throws {
        let orchestrator = try PlaceOrder.orchestrator()
        let topics = orchestrator.topics
        let broker = try FlowstateProcess(["dev-broker"] + topics.flatMap { ["--topic", "\($0):4"] })
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sagas-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let common = ["--bootstrap-servers", servers, "--kafka-property", "session.timeout.ms=6000"]
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let orchestratorPod = try FlowstateProcess(["run", "place-order", "--instance-id", "orchestrator-0", "--http-port", "\(try ListeningSocket.freePort())",
                                                    "--state-dir", "\(root)/orchestrator"] + common,
                                                   logFile: "\(root)/orchestrator.log")
        func startWorker(_ run: Int) throws -> FlowstateProcess {
            try FlowstateProcess(["run", "place-order-worker", "--instance-id", "worker-0", "--http-port", "\(try ListeningSocket.freePort())",
                                  "--state-dir", "\(root)/worker", "--step-latency", killingTheWorkerMidCall ? "50" : "0"] + common,
                                 logFile: "\(root)/worker-\(run).log")
        }
        var workerPod = try startWorker(1)

        let count = 1_000
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
        let serde = JSONSerde<JSONObject>()
        for index in 0..<(count - 1) {
            try producer.produce(KafkaProducerRecord(topic: "saga.start.place-order", key: Array("order-\(index)".utf8),
                                                     value: try serde.serialize(Scenario(index).order)))
        }
        try await producer.flush()
        try await producer.close()
        // The last one through the CLI, as a user would.
        let last = count - 1
        let starter = try FlowstateProcess(["saga", "start", "place-order", "--data", "{\"username\": \"cli\", \"total_amount\": 10}",
                                            "--transaction-id", "order-\(last)", "--bootstrap-servers", servers])
        #expect(await starter.readLine() == "order-\(last)")
        #expect(await starter.waitForExit() == 0)

        let changelog = Topology.changelogTopic(applicationID: "place-order", store: "place-order-instances")
        let reader = try TopicReader(servers: servers, topics: [changelog, "saga.dlq.place-order"])
        defer { reader.close() }
        let instanceSerde = JSONSerde<SagaInstance>()
        var instances: [String: SagaInstance] = [:]
        if killingTheWorkerMidCall {
            // Kill the worker once a good share of sagas is under way (its calls in flight, replies
            // not committed), and start it again 2 s later with the same instance id and state.
            let underWay = try await reader.waitUntil(timeout: .seconds(60)) {
                let seen = try reader.latest(of: changelog).mapValues { try instanceSerde.deserialize($0) }
                return seen.count >= 300 && seen.values.filter(\.status.isTerminal).count < seen.count / 2
            }
            #expect(underWay, "sagas are under way before the kill")
            #expect(await workerPod.stop(signal: SIGKILL, timeout: .seconds(5)) != 0, "the worker dies of SIGKILL")
            try await Task.sleep(for: .seconds(2))
            workerPod = try startWorker(2)
        }
        let expectedDeadLetters = Set((0..<count).filter { $0 != last && Scenario($0) == .compensationFails }.map { "order-\($0)" })
        var deadLettered: Set<String> = []
        let finished = try await reader.waitUntil(timeout: .seconds(120)) {
            instances = try reader.latest(of: changelog).mapValues { try instanceSerde.deserialize($0) }
            deadLettered = Set(reader.records.filter { $0.topic == "saga.dlq.place-order" }.compactMap(\.keyString))
            return instances.count == count && instances.values.allSatisfy(\.status.isTerminal)
                && deadLettered.count >= expectedDeadLetters.count
        }
        let stuck = instances.values.filter { !$0.status.isTerminal }.map(\.transactionID).sorted()
        #expect(finished, "\(instances.count) sagas seen; not terminal: \(stuck.prefix(10)); logs in \(root)")
        if !finished, let first = stuck.first {
            let show = try FlowstateProcess(["saga", "show", first, "--bootstrap-servers", servers])
            Issue.record("saga show \(first): \(await show.remainingOutput()) \(show.errorOutput()); reader has \(reader.records.count) records")
            try? FileManager.default.removeItem(atPath: "/tmp/last-saga-e2e")
            try? FileManager.default.copyItem(atPath: root, toPath: "/tmp/last-saga-e2e")
        }

        for index in 0..<count {
            let scenario = index == last ? .happy : Scenario(index)
            guard let instance = instances["order-\(index)"] else {
                Issue.record("order-\(index) never reached the store")
                continue
            }
            #expect(instance.status == scenario.expectedStatus, "order-\(index) (\(scenario))")
            let sent = instance.history.filter { $0.event == "command-sent" }.compactMap(\.stepKey)
            let steps = sent.reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
            switch scenario {
            case .happy, .immediateRetry:
                #expect(steps == [1, 2, 3, 4] && instance.retries == 0, "order-\(index): \(sent)")
            case .retriesThenSucceeds:
                #expect(steps == [1, 2, 3, 4] && instance.retries == 1, "order-\(index): \(sent)")
            case .failsAtLastStep:
                #expect(steps == [1, 2, 3, 4, -3, -2], "order-\(index): compensation in reverse: \(sent)")
                #expect(instance.hints["refund_reason"] == "NO_COURIER")
            case .compensationFails:
                #expect(steps == [1, 2, 3, 4, -3, -2], "order-\(index): \(sent)")
                #expect(sent.filter { $0 == -2 }.count == 3, "order-\(index): the refund was tried 3 times")
            }
        }
        #expect(deadLettered == expectedDeadLetters, "exactly the sagas whose compensation failed are dead-lettered")

        let show = try FlowstateProcess(["saga", "show", "order-3", "--bootstrap-servers", servers])
        let shown = await show.remainingOutput()
        #expect(await show.waitForExit() == 0)
        #expect(shown.contains("status       compensated"), "\(shown)")
        #expect(shown.contains("undo-succeeded -3"), "\(shown)")

        // A person re-drives a saga whose compensation failed: the refund runs again from a first
        // attempt (and, as it always fails here, fails again), the history naming who did it.
        if let failed = expectedDeadLetters.sorted().first {
            let redrive = try FlowstateProcess(["saga", "redrive", failed, "--actor", "ops-carol", "--bootstrap-servers", servers])
            #expect(await redrive.readLine() == "sent re-drive of place-order \(failed) by ops-carol")
            #expect(await redrive.waitForExit() == 0)
            var redriven: SagaInstance?
            let done = try await reader.waitUntil(timeout: .seconds(60)) {
                redriven = try reader.latest(of: changelog)[failed].map { try instanceSerde.deserialize($0) }
                return redriven.map { $0.status == .compensationFailed && $0.history.contains { $0.event == "redriven" } } ?? false
            }
            #expect(done, "\(failed) re-driven and failed again: \(String(describing: redriven?.history.suffix(6)))")
            #expect(redriven?.history.first { $0.event == "redriven" }?.detail == "by ops-carol")
            #expect(redriven?.history.filter { $0.event == "command-sent" && $0.stepKey == -2 }.count == 6, "3 more refund attempts")
        }

        #expect(await orchestratorPod.stop(signal: SIGTERM, timeout: .seconds(30)) == 0, "orchestrator stops cleanly")
        #expect(await workerPod.stop(signal: SIGTERM, timeout: .seconds(30)) == 0, "worker stops cleanly")
        _ = await broker.stop()
    }
}
