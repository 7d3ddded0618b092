import Flowstate
import FlowstateKafka
import Foundation
import Saga
import StatementLifecycle

/// `statement`: statements keyed by organisation, stored by statement id; small amounts are
/// approved automatically (`--auto-approval-limit`), the rest by people: the first ones with
/// `flowstate statement approve` as a process, the others with `approve` commands. Every
/// statement ends closed.
struct StatementScenario: ScaleScenario {
    static let autoApprovalLimit = 10_000
    static let cliApprover = "cli-approver"
    let topology = "statement"
    var runArguments: [String] { ["--auto-approval-limit", String(Self.autoApprovalLimit)] }
    let topics: [String: Int] = Dictionary(uniqueKeysWithValues: ((try? StatementLifecycle.machine().topics) ?? []).map { ($0, 4) })
    let store = "statement-entities"
    let initialRecords = 400
    let batchSize = 40
    /// Statements among the first 400, over several organisations and both approval paths.
    var keys: [String] { stride(from: 0, to: initialRecords, by: 10).map(Self.id) }

    static func id(_ index: Int) -> String { "st-\(index)" }

    static func statement(_ index: Int) -> Statement {
        Statement(id: id(index), organisationId: "org-\(index % 50)", amount: index % 3 == 0 ? 50_000 : 5_000,
                  paymentMethod: index % 2 == 0 ? .directDebit : .manual)
    }

    func records(_ range: Range<Int>) -> [KafkaProducerRecord] {
        let serde = JSONSerde<Statement>()
        return range.map { index in
            let statement = Self.statement(index)
            return KafkaProducerRecord(topic: "statement.close-initiated", key: Array(statement.organisationId.utf8),
                                       value: try! serde.serialize(statement))
        }
    }

    func isFinal(_ json: String, for key: String, total: Int) -> Bool {
        guard let statement = try? JSONDecoder().decode(Statement.self, from: Data(json.utf8)),
              let index = Int(key.dropFirst(3)) else { return false }
        let expected = Self.statement(index)
        return statement.id == key && statement.status == .closed && statement.organisationId == expected.organisationId
            && statement.amount == expected.amount
    }

    func verifyOutputs(servers: String, total: Int, timeout: Duration) async throws -> String? {
        let reader = try TopicReader(servers: servers, topics: ["statement.closed", "statement.approved"])
        defer { reader.close() }
        let serde = JSONSerde<Statement>()
        let all = Set((0..<total).map(Self.id))
        var closed: Set<String> = []
        _ = try await reader.waitUntil(timeout: timeout) {
            closed = Set(reader.records.filter { $0.topic == "statement.closed" }.compactMap { $0.value.flatMap { try? serde.deserialize($0).id } })
            return closed.isSuperset(of: all)
        }
        let missing = all.subtracting(closed)
        guard missing.isEmpty else {
            let rejections = try TopicReader(servers: servers, topics: ["statement.rejections"])
            defer { rejections.close() }
            _ = try await rejections.waitUntil(timeout: .seconds(3)) { false }
            let reasons = rejections.records.filter { missing.contains($0.keyString ?? "") }.compactMap(\.valueString)
            return "\(missing.count) statements never closed: \(missing.sorted().prefix(10)); their rejections: \(reasons.prefix(10))"
        }
        var approvers: [String: String] = [:]
        for record in reader.records where record.topic == "statement.approved" {
            if let statement = record.value.flatMap({ try? serde.deserialize($0) }) { approvers[statement.id] = statement.updatedBy }
        }
        for index in 0..<total {
            let statement = Self.statement(index)
            let expected = statement.amount <= Self.autoApprovalLimit ? "auto-approval" : nil
            guard let approver = approvers[statement.id] else { return "\(statement.id) was never approved" }
            if let expected, approver != expected { return "\(statement.id) was approved by \(approver), not \(expected)" }
            if expected == nil, approver == "auto-approval" { return "\(statement.id) (\(statement.amount)) was approved automatically" }
        }
        guard approvers.values.contains(Self.cliApprover) else { return "no statement was approved with `flowstate statement approve`" }
        return nil
    }

    /// People approve every statement over the limit as it waits; the first ones through the CLI.
    func whileRunning(servers: String) async throws {
        try await StatementApprover(autoApprovalLimit: Self.autoApprovalLimit, cliActor: Self.cliApprover).run(servers: servers)
    }

    func checkMetrics(_ text: String, total: Int) -> String? {
        let line = text.split(separator: "\n").first {
            $0.hasPrefix("flowstate_status_entities{") && $0.contains("machine=\"statement\"") && $0.contains("status=\"closed\"")
        }
        guard let line else { return "no flowstate_status_entities gauge for closed statements" }
        guard let value = line.split(separator: " ").last.flatMap({ Double($0) }), Int(value) == total else {
            return "the closed-statements gauge is \(line), not \(total)"
        }
        return nil
    }
}

/// People approving statements: every statement over the auto-approval limit seen on
/// `statement.waiting-for-approval` gets an `approve` command on `statement.commands`, sent by a
/// plain client (the first batch through `flowstate statement approve` when ``cliActor`` is set).
struct StatementApprover: Sendable {
    var autoApprovalLimit: Int
    /// The actor of the first batch, sent with `flowstate statement approve`; `nil`: none.
    var cliActor: String?
    /// The actor of the commands sent by the plain client.
    var actor = "approver"
    /// Called after each batch of commands was flushed to the broker, with its statement ids.
    var flushed: @Sendable ([String]) -> Void = { _ in }

    /// Approves until cancelled.
    func run(servers: String) async throws {
        let reader = try TopicReader(servers: servers, topics: ["statement.waiting-for-approval"])
        defer { reader.close() }
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
        let statementJSON = JSONSerde<Statement>(), commandJSON = JSONSerde<StateMachineCommand>()
        // Each time a statement is seen waiting (by when it started waiting): the embedded broker
        // shows records of transactions a killed pod never committed, whose statements wait again
        // once their new owner processes them.
        var approved: Set<String> = []
        var seen = 0
        var usedCLI = cliActor == nil
        while !Task.isCancelled {
            try await reader.poll()
            let waiting = reader.records[seen...].compactMap { $0.value.flatMap { try? statementJSON.deserialize($0) } }
                .filter { $0.amount > autoApprovalLimit && approved.insert("\($0.id)@\($0.updatedAt)").inserted }
            seen = reader.records.count
            let ids = Array(Set(waiting.map(\.id))).sorted()
            guard !ids.isEmpty else { continue }
            if !usedCLI, let cliActor {
                usedCLI = true
                let cli = try FlowstateProcess(["statement", "approve"] + ids + ["--actor", cliActor, "--bootstrap-servers", servers])
                let status = await cli.waitForExit(timeout: .seconds(30))
                guard status == 0 else { throw CLIFailure(description: "statement approve exited \(String(describing: status)): \(cli.errorOutput())") }
                continue
            }
            for id in ids {
                let command = StateMachineCommand(entityID: id, name: StatementLifecycle.approveCommand, actor: actor)
                try producer.produce(KafkaProducerRecord(topic: "statement.commands", key: Array(id.utf8), value: try commandJSON.serialize(command)))
            }
            try await producer.flush()
            flushed(ids)
        }
        try? await producer.close()
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
}
