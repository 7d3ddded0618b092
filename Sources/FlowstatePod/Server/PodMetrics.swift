public import Flowstate
import Foundation
public import Prometheus
import Synchronization

/// The pod's `/metrics`: Prometheus text from a collector registry that holds the engine's
/// swift-metrics instruments (when the metrics system is bootstrapped with this registry)
/// and the pod's gauges, refreshed from ``ApplicationStatus`` on every scrape:
///
/// - `flowstate_ready` — 1 when every assigned task is restored and running
/// - `flowstate_records_processed_per_second` — over the interval since the previous sample (≥ 1 s)
/// - `flowstate_tasks_assigned`
/// - `flowstate_restoration_restored_records{task}`, `flowstate_restoration_total_records{task}`
/// - `flowstate_consumer_lag{topic,partition}` — high watermark minus committed position
/// - `flowstate_store_entries{store}` — approximate, summed over this pod's tasks
/// - `flowstate_commit_latency_last_seconds`
///
/// The engine's counters and histogram (`flowstate_records_processed_total`,
/// `flowstate_commits_total`, `flowstate_transaction_aborts_total`,
/// `flowstate_commit_latency_seconds`, …) and ``StatusCounts`` gauges
/// (`flowstate_status_entities{machine,status}`) come through the metrics system.
public final class PodMetrics: Sendable {
    /// The registry rendered by ``render(status:lag:)``.
    public let registry: PrometheusCollectorRegistry
    private let state = Mutex(State())

    private struct State {
        var rateSample: (time: ContinuousClock.Instant, processed: Int)?
        var rate = 0.0
        var labelledGauges: [String: Set<[String]>] = [:]
    }

    /// Creates the pod's metrics over `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Refreshes the pod's gauges from `status` and `lag`, then renders every metric of the
    /// registry in Prometheus' text format.
    public func render(status: ApplicationStatus, lag: [KafkaTopicPartition: Int64]) -> String {
        state.withLock { state in
            let now = ContinuousClock.now
            if let sample = state.rateSample {
                let elapsed = now - sample.time
                if elapsed >= .seconds(1) {
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    state.rate = Double(status.processedRecords - sample.processed) / seconds
                    state.rateSample = (now, status.processedRecords)
                }
            } else {
                state.rateSample = (now, status.processedRecords)
            }
            gauge("flowstate_ready").set(to: status.isReady ? 1 : 0)
            gauge("flowstate_records_processed_per_second").set(to: state.rate)
            gauge("flowstate_tasks_assigned").set(to: Double(status.assignedTasks.count))
            gauge("flowstate_calls_in_flight").set(to: Double(status.callsInFlight))
            gauge("flowstate_paused_partitions").set(to: Double(status.pausedPartitions))
            if let latency = status.lastCommitLatency {
                let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
                gauge("flowstate_commit_latency_last_seconds").set(to: seconds)
            }
            update(&state, "flowstate_restoration_restored_records", ["task"],
                   status.restoration.map { ([$0.key.description], Double($0.value.restoredRecords)) })
            update(&state, "flowstate_restoration_total_records", ["task"],
                   status.restoration.map { ([$0.key.description], Double($0.value.totalRecords)) })
            update(&state, "flowstate_consumer_lag", ["topic", "partition"],
                   lag.map { ([$0.key.topic, String($0.key.partition)], Double($0.value)) })
            update(&state, "flowstate_store_entries", ["store"],
                   status.storeEntries.map { ([$0.key], Double($0.value)) })
        }
        return registry.emitToString()
    }

    /// Sets a labelled gauge family to exactly `values`, unregistering label sets that are gone
    /// (a revoked task or partition).
    private func update(_ state: inout State, _ name: String, _ labelNames: [String], _ values: [([String], Double)]) {
        let current = Set(values.map(\.0))
        for gone in state.labelledGauges[name, default: []].subtracting(current) {
            registry.unregisterGauge(gauge(name, labels: Array(zip(labelNames, gone))))
        }
        for (labels, value) in values {
            gauge(name, labels: Array(zip(labelNames, labels))).set(to: value)
        }
        state.labelledGauges[name] = current
    }

    /// The help text of each gauge the pod sets.
    private static let help: [String: String] = [
        "flowstate_ready": "1 when every assigned task is restored and running",
        "flowstate_records_processed_per_second": "Input records processed per second since the previous sample",
        "flowstate_tasks_assigned": "Tasks assigned to this pod",
        "flowstate_calls_in_flight": "Calls of workers and endpoints to other services running or waiting for a slot",
        "flowstate_paused_partitions": "Source partitions paused: the call bound is reached or a commit waits for calls",
        "flowstate_commit_latency_last_seconds": "Duration of the most recent commit",
        "flowstate_restoration_restored_records": "Changelog records read so far while restoring a task",
        "flowstate_restoration_total_records": "Changelog records to read to restore a task",
        "flowstate_consumer_lag": "High watermark minus the committed position of an owned partition",
        "flowstate_store_entries": "Approximate entries of a store over this pod's tasks",
    ]

    private func gauge(_ name: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: Self.help[name] ?? name),
                           labels: labels)
    }
}
