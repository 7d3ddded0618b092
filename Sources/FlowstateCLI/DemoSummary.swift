import Flowstate
import Foundation
import PlaceOrder
import Saga
import StatementLifecycle

/// The demo's closing table and checks, from what the stores and topics hold.
struct DemoSummary {
    /// A row of the table, or a section heading (no value).
    struct Row {
        var label: String
        var value: String?
    }

    var rows: [Row] = []
    /// What is stuck or wrong; empty when the run is correct.
    var problems: [String] = []

    /// Builds the summary.
    ///
    /// - Parameters:
    ///   - load: The generated load (its size, and each saga's scenario for the checks).
    ///   - stores: The statement and saga stores, read from their changelogs.
    ///   - topics: What the status, event, reply, rejection and dead-letter topics showed.
    ///   - gauges: The `flowstate_status_entities` counts per status, when they should equal the
    ///     stores (a fresh cluster), keyed by machine.
    ///   - deadLetteredRecords: Records the applications sent to their dead-letter topics.
    ///   - elapsed: From the first record produced to the last saga or statement finished.
    ///   - peakRate: The highest transitions/s over a second.
    init(load: DemoLoad, stores: DemoStores, topics: DemoMonitor.Counts, gauges: [String: [String: Int]]?,
         deadLetteredRecords: Int, elapsed: Duration, peakRate: Int) {
        let statementStatuses = Dictionary(grouping: stores.statements.values, by: \.status).mapValues(\.count)
        let sagaStatuses = Dictionary(grouping: stores.sagas.values, by: \.status).mapValues(\.count)
        let compensations = stores.sagas.values.map { $0.history.filter { $0.event == "undo-succeeded" }.count }.reduce(0, +)
        let deferredRetries = stores.sagas.values.map(\.retries).reduce(0, +)
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)

        section("Statements (store statement-entities)")
        for status in StatementStatus.allCases { row("statements \(status.rawValue)", statementStatuses[status] ?? 0) }
        row("approved by a person", topics.approvedByPerson.count)
        row("approved automatically", topics.approvedAutomatically.count)
        section("Sagas (store place-order-instances)")
        for status in SagaStatus.allCases { row("sagas \(status.rawValue)", sagaStatuses[status] ?? 0) }
        row("compensations run", compensations)
        row("deferred retries", deferredRetries)
        row("immediate retries", topics.immediateRetries)
        row("sagas dead-lettered", topics.deadLetteredSagas.count)
        section("Throughput")
        row("transitions", topics.transitions)
        rows.append(Row(label: "elapsed (s)", value: String(format: "%.1f", seconds)))
        row("transitions/s", Int(Double(topics.transitions) / seconds))
        row("peak transitions/s", peakRate)
        section("Checks")
        row("rejections", topics.statementRejections + topics.sagaRejections)
        row("dead-lettered records", deadLetteredRecords)

        check(load: load, stores: stores, topics: topics, gauges: gauges, statementStatuses: statementStatuses,
              sagaStatuses: sagaStatuses, deadLetteredRecords: deadLetteredRecords)
    }

    private mutating func check(load: DemoLoad, stores: DemoStores, topics: DemoMonitor.Counts, gauges: [String: [String: Int]]?,
                                statementStatuses: [StatementStatus: Int], sagaStatuses: [SagaStatus: Int],
                                deadLetteredRecords: Int) {
        for lost in stores.truncated {
            problems.append("changelog \(lost): the broker dropped its oldest records (the embedded broker keeps ~5 MB per "
                            + "partition); use smaller --statements/--sagas or more --partitions")
        }
        let missingStatements = (0..<load.statementCount).map(load.statementID).filter { stores.statements[$0] == nil }
        if !missingStatements.isEmpty {
            problems.append("\(missingStatements.count) statements never reached statement-entities: \(sample(missingStatements))")
        }
        let open = stores.statements.values.filter { $0.status != .closed }.sorted { $0.id < $1.id }
        if !open.isEmpty {
            problems.append("\(open.count) statements are stuck before closed: \(sample(open.map { "\($0.id) (\($0.status.rawValue))" }))")
        }
        let missingSagas = (0..<load.sagaCount).map(load.transactionID).filter { stores.sagas[$0] == nil }
        if !missingSagas.isEmpty {
            problems.append("\(missingSagas.count) sagas never reached place-order-instances: \(sample(missingSagas))")
        }
        let running = stores.sagas.values.filter { !$0.status.isTerminal }.sorted { $0.transactionID < $1.transactionID }
        if !running.isEmpty {
            problems.append("\(running.count) sagas are stuck: \(sample(running.map { "\($0.transactionID) (\($0.status.rawValue), step \($0.currentStepKey))" }))")
        }
        var unexpected: [String] = []
        for index in 0..<load.sagaCount {
            let order = load.order(index)
            guard let instance = stores.sagas[order.transactionID], instance.status.isTerminal,
                  instance.status != order.scenario.expectedStatus else { continue }
            unexpected.append("\(order.transactionID) (\(order.scenario.rawValue)) ended \(instance.status.rawValue)")
        }
        if !unexpected.isEmpty { problems.append("\(unexpected.count) sagas ended other than their scenario: \(sample(unexpected))") }
        let failed = Set(stores.sagas.values.filter { $0.status == .compensationFailed }.map(\.transactionID))
        if failed != topics.deadLetteredSagas {
            problems.append("saga.dlq.place-order holds \(topics.deadLetteredSagas.count) sagas, the store \(failed.count) whose "
                            + "compensation failed: \(sample(Array(failed.symmetricDifference(topics.deadLetteredSagas)).sorted()))")
        }
        if topics.statementRejections + topics.sagaRejections > 0 {
            problems.append("\(topics.statementRejections) statement and \(topics.sagaRejections) saga inputs were rejected "
                            + "(see statement.rejections and saga.rejections.place-order)")
        }
        if deadLetteredRecords > 0 {
            problems.append("\(deadLetteredRecords) records went to the applications' dead-letter topics (<application>-dlq)")
        }
        if let gauges {
            let expected = ["statement": Dictionary(uniqueKeysWithValues: StatementStatus.allCases.map { ($0.rawValue, statementStatuses[$0] ?? 0) }),
                            PlaceOrder.sagaName: Dictionary(uniqueKeysWithValues: SagaStatus.allCases.map { ($0.rawValue, sagaStatuses[$0] ?? 0) })]
            for (machine, counts) in expected.sorted(by: { $0.key < $1.key }) where gauges[machine] != counts {
                problems.append("flowstate_status_entities{machine=\"\(machine)\"} shows \(gauges[machine] ?? [:]), the store \(counts)")
            }
        }
    }

    /// The table, boxed.
    var table: String {
        let labelWidth = max(30, rows.map(\.label.count).max() ?? 0)
        let valueWidth = max(10, rows.compactMap { $0.value?.count }.max() ?? 0)
        let rule = { (left: String, middle: String, right: String) in
            left + String(repeating: "─", count: labelWidth + 2) + middle + String(repeating: "─", count: valueWidth + 2) + right
        }
        var lines = [rule("┌", "┬", "┐")]
        for (index, row) in rows.enumerated() {
            if let value = row.value {
                lines.append("│ " + row.label + String(repeating: " ", count: labelWidth - row.label.count) + " │ "
                             + String(repeating: " ", count: valueWidth - value.count) + value + " │")
            } else {
                if index > 0 { lines.append(rule("├", "┼", "┤")) }
                lines.append("│ " + row.label + String(repeating: " ", count: labelWidth - row.label.count) + " │ "
                             + String(repeating: " ", count: valueWidth) + " │")
            }
        }
        lines.append(rule("└", "┴", "┘"))
        return lines.joined(separator: "\n")
    }

    private mutating func section(_ title: String) { rows.append(Row(label: title, value: nil)) }

    private mutating func row(_ label: String, _ value: Int) { rows.append(Row(label: label, value: DemoFormat.count(value))) }

    private func sample(_ items: [String]) -> String {
        items.prefix(5).joined(separator: ", ") + (items.count > 5 ? ", …" : "")
    }
}

/// Number formatting shared by the progress line and the summary.
enum DemoFormat {
    /// `12,345`.
    static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
