import Flowstate
import FlowstateKafka
@testable import FlowstatePod
import Foundation
import PlaceOrder
import Saga
import StatementLifecycle
import Testing

/// The commands every pod executable has, tried on `flowstate`'s own registrations: topics
/// from a registration, and `command` / `show` for any registered state machine.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct PodCommandsTests {
    /// Runs `flowstate arguments` to its end; returns its status, stdout and stderr.
    func run(_ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
        let process = try FlowstateProcess(arguments)
        let output = await process.remainingOutput()
        let status = await process.waitForExit()
        return (status, output, process.errorOutput())
    }

    @Test func theDevBrokerAndCreateTopicsSetUpEveryTopicOfARegisteredTopology() async throws {
        let machine = try StatementLifecycle.machine()
        let broker = try FlowstateProcess(["dev-broker", "--topology", "statement:2"])
        defer { Task { _ = await broker.stop() } }
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        var created: [String] = []
        for _ in machine.topics { created.append(await broker.readLine() ?? "") }
        #expect(Set(created) == Set(machine.topics.map { "topic=\($0):2" }), "\(created)")

        // The orchestrator's topics are created; the machine's, already there, are left alone.
        let topics = try await run(["create-topics", "place-order", "statement", "--partitions", "3", "--bootstrap-servers", servers])
        #expect(topics.status == 0, "\(topics.error)")
        let lines = topics.output.split(separator: "\n").map(String.init)
        let sagaTopics = try PlaceOrder.orchestrator().topics
        #expect(Set(lines.filter { $0.hasPrefix("created ") }) == Set(sagaTopics.map { "created \($0):3" }), "\(lines)")
        let existing: [String] = lines.filter { $0.hasPrefix("exists ") }.compactMap { line in
            line.split(separator: " ").last.map(String.init)
        }
        #expect(Set(existing) == Set(machine.topics), "\(lines)")
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [servers]))
        let described = try await admin.describeTopics(sagaTopics)
        #expect(described.count == sagaTopics.count && described.allSatisfy { $0.partitions.count == 3 })

        let unknown = try await run(["create-topics", "nothing", "--partitions", "1", "--bootstrap-servers", servers])
        #expect(unknown.status != 0 && unknown.error.contains("unknown topology 'nothing'") && unknown.error.contains("statement"),
                "\(unknown.error)")
    }

    @Test func submitCommandAndShowWorkForARegisteredStateMachine() async throws {
        let broker = try FlowstateProcess(["dev-broker", "--topology", "statement:2"])
        defer { Task { _ = await broker.stop() } }
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pod-commands-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = try ListeningSocket.freePort()
        let pod = try FlowstateProcess(["run", "statement", "--bootstrap-servers", servers, "--instance-id", "p0",
                                        "--state-dir", "\(root)/p0", "--http-port", "\(port)", "--advertised-address", "127.0.0.1:\(port)",
                                        "--kafka-property", "session.timeout.ms=6000"], logFile: "\(root)/p0.log")
        defer { Task { _ = await pod.stop() } }

        // New entities through `submit`, checked against the machine's entity type first.
        let ids = ["cmd-1", "cmd-2"]
        for id in ids {
            let statement = Statement(id: id, organisationId: "org-\(id)", amount: 4_200, paymentMethod: .directDebit)
            let json = String(decoding: try JSONSerde<Statement>().serialize(statement), as: UTF8.self)
            let submitted = try await run(["submit", "statement", "--data", json, "--bootstrap-servers", servers])
            #expect(submitted.status == 0 && submitted.output.contains("submitted statement \(id) to statement.close-initiated"),
                    "\(submitted.output)\(submitted.error)")
        }
        var late = Statement(id: "cmd-3", organisationId: "org-3", amount: 1, paymentMethod: .manual)
        late.status = .approved
        let wrongStatus = try await run(["submit", "statement", "--data", String(decoding: try JSONSerde<Statement>().serialize(late), as: UTF8.self),
                                         "--bootstrap-servers", servers])
        #expect(wrongStatus.status != 0 && wrongStatus.error.contains("new statement entities start in close-initiated, not approved"),
                "\(wrongStatus.error)")
        let notAStatement = try await run(["submit", "statement", "--data", #"{"id": "x"}"#, "--bootstrap-servers", servers])
        #expect(notAStatement.status != 0 && notAStatement.error.contains("--data: not a Statement"), "\(notAStatement.error)")

        /// `show` until the entity's status is `status` (the pod commits every few hundred ms).
        func shown(_ id: String, reaching status: String) async throws -> String {
            var last = ""
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let show = try await run(["show", "statement", id, "--bootstrap-servers", servers])
                last = show.output + show.error
                if show.status == 0, show.output.contains("status   \(status)") { return show.output }
                try await Task.sleep(for: .milliseconds(500))
            }
            let log = (try? String(contentsOfFile: "\(root)/p0.log", encoding: .utf8)) ?? ""
            let metrics = (try? await PodHTTPClient().get(address: "127.0.0.1:\(port)", path: "/metrics")).map {
                String(decoding: $0.body, as: UTF8.self).split(separator: "\n").filter { $0.contains("flowstate_records") || $0.contains("ready") }
            }
            Issue.record("\(id) never showed \(status): \(last)\npod log: \(log.suffix(3_000))\nmetrics: \(metrics ?? [])")
            return last
        }
        for id in ids { _ = try await shown(id, reaching: "waiting-for-approval") }

        // A command the machine does not know is refused before anything is sent, naming its commands.
        let wrong = try await run(["command", "statement", ids[0], "approv", "--actor", "alice", "--bootstrap-servers", servers])
        #expect(wrong.status != 0 && wrong.error.contains("no command 'approv'") && wrong.error.contains("approve"), "\(wrong.error)")
        let sent = try await run(["command", "statement", ids[0], "approve", "--actor", "alice", "--bootstrap-servers", servers])
        #expect(sent.status == 0 && sent.output.contains("sent approve for statement cmd-1 by alice"), "\(sent.output)\(sent.error)")

        let closed = try await shown(ids[0], reaching: "closed")
        #expect(closed.contains("waiting-for-approval  by system") && closed.contains("approved  by alice"), "\(closed)")
        #expect(closed.contains(#""organisationId":"org-cmd-1""#), "the entity as JSON: \(closed)")
        let json = try await run(["show", "statement", ids[0], "--json", "--bootstrap-servers", servers])
        let entity = try JSONSerde<Statement>().deserialize(Array(json.output.utf8.filter { $0 != UInt8(ascii: "\n") }))
        #expect(entity.status == .closed && entity.id == ids[0])
        // The other one still waits: the command went to its entity only.
        _ = try await shown(ids[1], reaching: "waiting-for-approval")
        let missing = try await run(["show", "statement", "no-such", "--bootstrap-servers", servers])
        #expect(missing.status != 0 && missing.error.contains("no statement no-such"), "\(missing.error)")
        #expect(await pod.stop(signal: SIGTERM, timeout: .seconds(30)) == 0)
    }
}
