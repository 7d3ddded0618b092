public import Metrics
import Synchronization

/// Counts of entities per status, exported as the gauge
/// `flowstate_status_entities{machine="<machine>",status="<status>"}`.
///
/// The hook through which state machines and sagas report how many of their instances are in
/// each status. Call ``transition(from:to:)`` when an entity changes status (`from: nil` for a
/// new one, `to: nil` when it leaves), or ``set(_:to:)`` after recounting (e.g. after
/// restoration). Counts are this instance's: Prometheus sums them over pods.
///
/// ```swift
/// let statuses = StatusCounts(machine: "statement")
/// statuses.transition(from: "REQUESTED", to: "GENERATED")
/// ```
///
/// - Important: Counts follow calls, not commits: a transaction that aborts after a call leaves
///   the count ahead until the record is processed again and a later ``set(_:to:)`` recounts.
public final class StatusCounts: Sendable {
    /// The state machine's name (the `machine` label).
    public let machine: String
    private let factory: any MetricsFactory
    private let entries = Mutex<[String: (count: Int, gauge: Gauge)]>([:])

    /// Creates the counts of one state machine.
    ///
    /// - Parameters:
    ///   - machine: The `machine` label, e.g. `statement` or `place-order`.
    ///   - factory: Where the gauges go. Default: the process's bootstrapped metrics system.
    public init(machine: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.machine = machine
        self.factory = factory
    }

    /// Moves one entity from status `from` to status `to` (either may be `nil`).
    public func transition(from: String?, to: String?) {
        guard from != to else { return }
        if let from { adjust(from, by: -1) }
        if let to { adjust(to, by: 1) }
    }

    /// Sets the count of `status`.
    public func set(_ status: String, to count: Int) {
        adjust(status, by: count - self.count(of: status))
    }

    /// The current count of `status`.
    public func count(of status: String) -> Int {
        entries.withLock { $0[status]?.count ?? 0 }
    }

    private func adjust(_ status: String, by delta: Int) {
        entries.withLock { entries in
            let gauge = entries[status]?.gauge
                ?? Gauge(label: "flowstate_status_entities", dimensions: [("machine", machine), ("status", status)],
                         factory: factory)
            let count = (entries[status]?.count ?? 0) + delta
            entries[status] = (count, gauge)
            gauge.record(count)
        }
    }
}
