import FlowstateKafka
import Metrics
import Synchronization

/// The lifecycle state of a ``FlowstateApplication``.
public enum ApplicationState: String, Sendable, Hashable {
    /// Constructed, not running.
    case created
    /// Creating internal topics and joining the group.
    case starting
    /// Restoring assigned tasks' stores from their changelogs.
    case restoring
    /// Every assigned task is restored and processing.
    case running
    /// Partitions are moving between instances.
    case rebalancing
    /// Committing and closing after a shutdown request.
    case stopping
    /// Stopped cleanly.
    case stopped
    /// Stopped by an error.
    case failed
}

/// Counters and states shared by stream threads and the application (thread-safe).
final class RuntimeStatus: Sendable {
    struct Snapshot: Sendable {
        var threadStates: [Int: ApplicationState] = [:]
        var failure: FlowstateError?
        var assignedTasks: [Int: [TaskID]] = [:]
        var restoredRecords = 0
        var processedRecords = 0
        var deadLetteredRecords = 0
        var commits = 0
        var aborts = 0
        var migrations = 0
        /// Restoration of each assigned task that was restored.
        var restoration: [TaskID: RestorationProgress] = [:]
        /// Per thread, the next offset to process per assigned source partition, as of the last commit.
        var positions: [Int: [KafkaTopicPartition: Int64]] = [:]
        /// Per thread, approximate entries per store name.
        var storeEntries: [Int: [String: Int]] = [:]
        var lastCommitLatency: Duration?
        /// Per thread, suspended calls running and waiting for a slot.
        var callsInFlight: [Int: Int] = [:]
        /// Per thread, source partitions paused for back-pressure or a commit waiting on calls.
        var pausedPartitions: [Int: Int] = [:]
    }

    private let snapshot = Mutex(Snapshot())
    /// The engine's swift-metrics instruments.
    let metrics: EngineMetrics

    init(metrics: EngineMetrics = EngineMetrics(applicationID: "", factory: NOOPMetricsHandler.instance)) {
        self.metrics = metrics
    }

    func update(_ body: (inout Snapshot) -> Void) { snapshot.withLock { body(&$0) } }
    func read() -> Snapshot { snapshot.withLock { $0 } }

    /// The application's state: the least advanced of its threads, `failed` if any failed.
    func applicationState(started: Bool) -> ApplicationState {
        let states = read().threadStates.values
        guard started else { return .created }
        if states.contains(.failed) { return .failed }
        if states.isEmpty { return .starting }
        for state in [ApplicationState.starting, .restoring, .rebalancing, .stopping] where states.contains(state) {
            return state
        }
        if states.allSatisfy({ $0 == .stopped }) { return .stopped }
        return .running
    }
}
