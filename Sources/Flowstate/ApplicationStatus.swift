/// A consistent snapshot of a running ``FlowstateApplication``, for health checks, metrics and
/// host discovery (``FlowstateApplication/status``).
public struct ApplicationStatus: Sendable {
    /// The application's state (the least advanced of its stream threads).
    public var state: ApplicationState
    /// Whether every task assigned to this instance is restored and processing: the state is
    /// ``ApplicationState/running`` and no restoration is in progress.
    public var isReady: Bool
    /// Tasks assigned to this instance, in order.
    public var assignedTasks: [TaskID]
    /// Source partitions of the assigned tasks (the partitions this instance owns).
    public var assignedPartitions: [KafkaTopicPartition]
    /// Per assigned source partition, the next offset to process as of the last commit (or
    /// assignment). Consumer lag is the partition's high watermark minus this.
    public var positions: [KafkaTopicPartition: Int64]
    /// Restoration of each task restored since start, including finished ones still assigned.
    public var restoration: [TaskID: RestorationProgress]
    /// Approximate entries per store name, summed over this instance's tasks (sampled at most
    /// every few seconds on the stream threads).
    public var storeEntries: [String: Int]
    /// Input records processed (including dead-lettered ones).
    public var processedRecords: Int
    /// Transactions (or at-least-once commits) completed.
    public var commits: Int
    /// Transactions aborted after abortable errors.
    public var transactionAborts: Int
    /// Records sent to the dead-letter topic.
    public var deadLetteredRecords: Int
    /// Changelog records restored.
    public var restoredRecords: Int
    /// How long the most recent commit took (Kafka commit plus local state), if any.
    public var lastCommitLatency: Duration?
    /// Suspended calls (workers' and endpoints' calls to other services) running or waiting
    /// for a slot, over all stream threads.
    public var callsInFlight: Int = 0
    /// Source partitions whose fetching is paused: the threads' call bound is reached, or a
    /// commit waits for calls in flight.
    public var pausedPartitions: Int = 0
}

/// How far the restoration of one task's stores from their changelogs has come.
public struct RestorationProgress: Sendable, Hashable {
    /// Changelog records read so far (applied or skipped as uncommitted).
    public var restoredRecords: Int64
    /// Changelog records to read, from the checkpoint to the end offsets found at the start.
    public var totalRecords: Int64
    /// Whether the task finished restoring.
    public var isComplete: Bool

    /// Creates a progress value.
    public init(restoredRecords: Int64, totalRecords: Int64, isComplete: Bool) {
        self.restoredRecords = restoredRecords
        self.totalRecords = totalRecords
        self.isComplete = isComplete
    }
}

/// Where a key of a store lives: the task, and so the partition, that holds it.
public struct StoreKeyLocation: Sendable, Hashable {
    /// The store.
    public var store: String
    /// The task holding the key.
    public var task: TaskID
    /// The source topics of the task's sub-topology; the key's partition of each is ``partition``.
    public var sourceTopics: [String]
    /// The partition the key maps to (Kafka's murmur2 partitioner over the store's encoded key).
    public var partition: Int32
}

/// The answer to an interactive query (``FlowstateApplication/queryStore(name:key:partitionKey:)``).
public enum StoreQueryResult: Sendable, Hashable {
    /// The key's committed value, as JSON.
    case found(json: [UInt8])
    /// This instance hosts the key's task and the key has no value.
    case absent
    /// Another instance (or none, during a rebalance) hosts the key's task.
    case notHosted(StoreKeyLocation)
}
