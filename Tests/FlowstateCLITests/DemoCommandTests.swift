import Flowstate
import FlowstateKafka
import Foundation
import Saga
import StatementLifecycle
import Testing

/// `flowstate demo` as a process, with small sizes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DemoCommandTests {
    /// The demo's table as label → number (section headings have no number).
    static func table(_ output: String) -> [String: Int] {
        var rows: [String: Int] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("│") {
            let cells = line.split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2, let value = Int(cells[1].replacingOccurrences(of: ",", with: "")) else { continue }
            rows[cells[0]] = value
        }
        return rows
    }

    @Test func theDemoRunsToCompletionAndItsSummaryMatchesWhatTheTopicsHold() async throws {
        let broker = try FlowstateProcess(["dev-broker"])
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        defer { broker.terminate() }
        let demo = try FlowstateProcess(["demo", "--statements", "200", "--sagas", "100", "--organisations", "20",
                                         "--duration", "1", "--timeout", "60", "--bootstrap-servers", servers])
        let status = await demo.waitForExit(timeout: .seconds(120))
        let output = await demo.remainingOutput()
        #expect(status == 0, "\(output)\nstderr: \(demo.errorOutput())")
        let table = Self.table(output)
        #expect(table["statements closed"] == 200, "\(output)")
        #expect(StatementStatus.allCases.map { table["statements \($0.rawValue)"] ?? -1 }.reduce(0, +) == 200, "\(output)")
        #expect(SagaStatus.allCases.map { table["sagas \($0.rawValue)"] ?? -1 }.reduce(0, +) == 100, "\(output)")
        #expect((table["transitions/s"] ?? 0) > 0)

        // An independent read of the topics the applications wrote.
        let machine = try StatementLifecycle.machine()
        let reader = try TopicReader(servers: servers, topics: machine.statusTopics + ["saga.events.place-order", "saga.dlq.place-order"])
        defer { reader.close() }
        let statementJSON = JSONSerde<Statement>(), eventJSON = JSONSerde<SagaEvent>()
        var statuses: [String: StatementStatus] = [:]
        var sagas: [String: SagaStatus] = [:]
        _ = try await reader.waitUntil(timeout: .seconds(20)) {
            statuses = [:]
            sagas = [:]
            for record in reader.records {
                guard let value = record.value else { continue }
                if record.topic == "saga.events.place-order" {
                    let event = try eventJSON.deserialize(value)
                    sagas[event.transactionID] = event.status
                } else if record.topic.hasPrefix("statement.") {
                    let statement = try statementJSON.deserialize(value)
                    if Self.rank(statement.status) >= (statuses[statement.id].map(Self.rank) ?? -1) { statuses[statement.id] = statement.status }
                }
            }
            // Every saga and statement seen is not enough: a saga's later events may still be on
            // their way to this reader. Wait until the view agrees with the summary (or time runs out,
            // and the expectations below show the difference).
            let events = reader.records.filter { $0.topic == "saga.events.place-order" }.compactMap { $0.value.flatMap { try? eventJSON.deserialize($0) } }
            return statuses.count == 200 && sagas.count == 100
                && StatementStatus.allCases.allSatisfy { status in table["statements \(status.rawValue)"] == statuses.values.filter { $0 == status }.count }
                && SagaStatus.allCases.allSatisfy { status in table["sagas \(status.rawValue)"] == sagas.values.filter { $0 == status }.count }
                && table["compensations run"] == Set(events.filter { $0.event == "undo-succeeded" }.map { "\($0.transactionID) \($0.stepKey ?? 0)" }).count
        }
        for status in StatementStatus.allCases {
            #expect(table["statements \(status.rawValue)"] == statuses.values.filter { $0 == status }.count, "\(status)")
        }
        for status in SagaStatus.allCases {
            #expect(table["sagas \(status.rawValue)"] == sagas.values.filter { $0 == status }.count, "\(status)")
        }
        let events = reader.records.filter { $0.topic == "saga.events.place-order" }.compactMap { $0.value.flatMap { try? eventJSON.deserialize($0) } }
        let undone = Set(events.filter { $0.event == "undo-succeeded" }.map { "\($0.transactionID) \($0.stepKey ?? 0)" })
        let retries = Set(events.filter { $0.event == "retry-scheduled" }.map { "\($0.transactionID) \($0.stepKey ?? 0) \($0.detail ?? "")" })
        let deadLettered = Set(reader.records.filter { $0.topic == "saga.dlq.place-order" }.compactMap(\.keyString))
        #expect(table["compensations run"] == undone.count)
        #expect(table["deferred retries"] == retries.count)
        #expect(table["sagas dead-lettered"] == deadLettered.count)
        #expect(table["sagas compensation-failed"] == deadLettered.count)
        #expect((table["compensations run"] ?? 0) > 0 && (table["deferred retries"] ?? 0) > 0, "the mix includes failures: \(output)")
    }

    @Test func theDemoRunsOnItsEmbeddedClusterWithNoCluster() async throws {
        let demo = try FlowstateProcess(["demo", "--statements", "100", "--sagas", "50", "--duration", "0"])
        let status = await demo.waitForExit(timeout: .seconds(120))
        let output = await demo.remainingOutput()
        #expect(status == 0, "\(output)\nstderr: \(demo.errorOutput())")
        #expect(output.contains("embedded cluster: bootstrap.servers="))
        let table = Self.table(output)
        #expect(table["statements closed"] == 100, "\(output)")
        #expect(SagaStatus.allCases.filter(\.isTerminal).map { table["sagas \($0.rawValue)"] ?? 0 }.reduce(0, +) == 50, "\(output)")
    }

    @Test func aLoadTooLargeForTheEmbeddedBrokerFailsAtStartNamingTheFlag() async throws {
        let demo = try FlowstateProcess(["demo", "--statements", "100000"])
        #expect(await demo.waitForExit(timeout: .seconds(20)) != 0)
        #expect(demo.errorOutput().contains("--partitions"))
    }

    /// How far along the lifecycle a status is (the two payment starts are alternatives).
    static func rank(_ status: StatementStatus) -> Int {
        switch status {
        case .closeInitiated: 0
        case .waitingForApproval, .escalated: 1
        case .approved: 2
        case .directDebitInitiated, .paymentInitiated: 3
        case .paymentReceivedInitiated: 4
        case .paymentReceived: 5
        case .closed: 6
        }
    }
}
