import Flowstate
import FlowstateKafka
import Foundation
import Saga
import StatementLifecycle
import Testing

/// The statement lifecycle as pods on a `flowstate dev-broker`, approved through the CLI.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct StatementEndToEndTests {
    @Test func aThousandStatementsApprovedByTheCLIAllCloseWithEachTransitionOnceAndTheirHistoryInOrder() async throws {
        let machine = try StatementLifecycle.machine()
        let broker = try FlowstateProcess(["dev-broker"] + machine.topics.flatMap { ["--topic", "\($0):4"] })
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("statements-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        func pod(_ name: String) throws -> FlowstateProcess {
            try FlowstateProcess(["run", "statement", "--bootstrap-servers", servers, "--instance-id", name, "--threads", "2",
                                  "--state-dir", "\(root)/\(name)", "--http-port", "\(try ListeningSocket.freePort())",
                                  "--kafka-property", "session.timeout.ms=6000"], logFile: "\(root)/\(name).log")
        }
        let pods = [try pod("statement-0"), try pod("statement-1")]

        let count = 1_000
        let ids = (0..<count).map { String(format: "stmt-%04d", $0) }
        func statement(_ index: Int) -> Statement {
            Statement(id: ids[index], organisationId: "org-\(index % 50)", amount: 1_000 + index,
                      paymentMethod: index % 3 == 0 ? .manual : .directDebit)
        }
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
        let serde = JSONSerde<Statement>()
        for index in 0..<count {
            try producer.produce(KafkaProducerRecord(topic: "statement.close-initiated", key: Array("org-\(index % 50)".utf8),
                                                     value: try serde.serialize(statement(index))))
        }
        try await producer.flush()
        try await producer.close()

        let reader = try TopicReader(servers: servers, topics: machine.statusTopics.dropFirst() + [machine.rejectionsTopic])
        defer { reader.close() }
        func seen(on status: StatementStatus) throws -> [String] {
            try reader.records.filter { $0.topic == machine.topic(of: status) }.map { try serde.deserialize($0.value ?? []).id }
        }
        let waiting = try await reader.waitUntil(timeout: .seconds(90)) { Set(try seen(on: .waitingForApproval)).count == count }
        #expect(waiting, "every statement waits for approval")
        #expect(try seen(on: .approved).isEmpty, "nothing is approved before the approvals")

        // Approvals through the CLI, 100 statements per call.
        for batch in stride(from: 0, to: count, by: 100) {
            let approve = try FlowstateProcess(["statement", "approve"] + Array(ids[batch..<(batch + 100)])
                                               + ["--actor", "approver-\(batch / 100)", "--bootstrap-servers", servers])
            #expect(await approve.readLine() == "sent 100 approvals by approver-\(batch / 100)")
            #expect(await approve.waitForExit() == 0)
        }
        let closed = try await reader.waitUntil(timeout: .seconds(120)) { Set(try seen(on: .closed)).count == count }
        let closedCount = try Set(seen(on: .closed)).count
        #expect(closed, "every statement closes: \(closedCount) of \(count)")
        try await Task.sleep(for: .seconds(1))
        try await reader.poll()

        // Each transition appears once in its status topic.
        var duplicates: [String] = []
        for status in StatementStatus.allCases.dropFirst() {
            let seen = try seen(on: status)
            let expected = status == .directDebitInitiated ? ids.indices.filter { $0 % 3 != 0 }.map { ids[$0] }
                : status == .paymentInitiated ? ids.indices.filter { $0 % 3 == 0 }.map { ids[$0] }
                : status == .escalated ? [] : ids  // approved long before the 7-day escalation
            #expect(Set(seen) == Set(expected), "\(status.rawValue): the right statements")
            duplicates += Dictionary(grouping: seen, by: { $0 }).filter { $0.value.count > 1 }.map { "\(status.rawValue) \($0.key)" }
        }
        if !duplicates.isEmpty {
            // A transaction that aborted (and was replayed) stays visible on the embedded
            // broker, which writes no abort markers; only then may a transition show twice.
            let logs = try pods.indices.map { try String(contentsOfFile: "\(root)/statement-\($0).log", encoding: .utf8) }.joined()
            #expect(logs.contains("Transaction aborted") || logs.contains("Fenced"),
                    "\(duplicates.count) duplicated transitions with no aborted transaction: \(duplicates.prefix(5))")
        }
        #expect(reader.records.filter { $0.topic == machine.rejectionsTopic }.isEmpty, "no rejections")

        // The history of each lists every status in order; read from the stores' changelogs.
        let history = Topology.changelogTopic(applicationID: "statement", store: machine.historyStore)
        let historyReader = try TopicReader(servers: servers, topics: [history])
        defer { historyReader.close() }
        var histories: [String: [LifecycleEvent]] = [:]
        _ = try await historyReader.waitUntil(timeout: .seconds(30)) {
            histories = try historyReader.latest(of: history).mapValues { try BinarySerde<[LifecycleEvent]>().deserialize($0) }
            return histories.values.filter { $0.last?.status == "closed" }.count == count
        }
        for (index, id) in ids.enumerated() {
            let path = ["close-initiated", "waiting-for-approval", "approved",
                        index % 3 == 0 ? "payment-initiated" : "direct-debit-initiated",
                        "payment-received-initiated", "payment-received", "closed"]
            #expect(histories[id]?.map(\.status) == path, "\(id)")
            #expect(histories[id]?[2].actor == "approver-\(index / 100)", "\(id) approved by its CLI call's actor")
        }

        // `statement show` reads the same from the changelogs.
        let show = try FlowstateProcess(["statement", "show", ids[3], "--bootstrap-servers", servers])
        let shown = await show.remainingOutput()
        #expect(await show.waitForExit() == 0)
        #expect(shown.contains("status        closed") && shown.contains("payment-initiated  by system"), "\(shown)")

        for pod in pods { #expect(await pod.stop(signal: SIGTERM, timeout: .seconds(30)) == 0, "pods stop cleanly") }
        _ = await broker.stop()
    }
}
