import FlowstateKafka
package import Logging

/// Drives one ``StreamThread`` step by step from the caller's thread, with no OS thread of its
/// own: the deterministic simulation in `FlowstateTesting` runs several instances this way
/// under one seeded scheduler.
///
/// The steps are the production thread's own (connect, one loop turn, graceful finish); time
/// comes from the injected clocks and faults from the injected ``FaultInjector``.
package final class StreamThreadDriver {
    private let thread: StreamThread
    private let status = RuntimeStatus()

    /// Creates a driven thread (index 0) of one application instance.
    ///
    /// - Parameters:
    ///   - partitionCounts: Partition counts of every topic the topology touches
    ///     (``TopicPreparation/prepare(topology:config:clients:)``).
    ///   - wallClock: Milliseconds since the epoch, for wall-clock punctuation.
    ///   - monotonicClock: Time for the commit interval.
    ///   - faults: Consulted at every ``FaultPoint``.
    ///   - callExecutor: Runs the calls records suspend on (the simulation decides when each finishes).
    package init(topology: Topology, config: FlowstateConfig, clients: any KafkaClientSupplier,
                 partitionCounts: [String: Int],
                 logger: Logger = Logger(label: "flowstate", factory: { _ in SwiftLogNoOpLogHandler() }),
                 wallClock: @escaping @Sendable () -> Int64,
                 monotonicClock: @escaping @Sendable () -> Duration, faults: (any FaultInjector)?,
                 callExecutor: any CallExecutor = ConcurrentCallExecutor()) {
        thread = StreamThread(index: 0, topology: topology, config: config, clients: clients,
                              partitionCounts: partitionCounts, status: status, logger: logger, wallClock: wallClock,
                              monotonicClock: monotonicClock, faults: faults, callExecutor: callExecutor)
    }

    /// Makes the clients, initialises transactions and subscribes.
    ///
    /// - Throws: What the clients throw (or the fault injector).
    package func connect() throws {
        status.update { $0.threadStates[0] = .starting }
        try thread.connect()
    }

    /// One turn of the thread's loop.
    ///
    /// - Throws: Errors the thread does not handle itself (it handles abortable and fenced).
    package func step() throws { try thread.step() }

    /// Graceful stop: commit, close tasks and clients.
    ///
    /// - Throws: What the final commit or the clients throw.
    package func shutdown() throws { try thread.finish() }

    /// What the production thread does when a step fails: abort, close without committing.
    package func fail(_ error: any Error) { thread.fail(error) }

    /// A crash: releases local state without any commit, abort or client close.
    package func abandon() { thread.abandon() }

    /// The thread's state.
    package var state: ApplicationState { status.read().threadStates[0] ?? .created }

    /// The tasks the thread owns now, in order.
    package var assignedTasks: [TaskID] { thread.tasks.keys.sorted() }

    /// Transactions committed, aborted, and fencings survived so far.
    package var counters: (commits: Int, aborts: Int, migrations: Int, restoredRecords: Int) {
        let snapshot = status.read()
        return (snapshot.commits, snapshot.aborts, snapshot.migrations, snapshot.restoredRecords)
    }

    /// What task `id` holds in RocksDB (or its in-memory base) for each store, ignoring the
    /// uncommitted overlay, with each logged persistent store's changelog checkpoint.
    ///
    /// - Throws: ``FlowstateError`` when a store cannot be read.
    package func committedState(of id: TaskID) throws -> [String: StoreSnapshot]? {
        guard let task = thread.tasks[id] else { return nil }
        return try Self.snapshot(task)
    }

    /// Restores task `id` from its changelogs into `config`'s (fresh) state directory with the
    /// production restorer, and returns what it restored.
    ///
    /// - Throws: What restoration throws.
    package static func restoreFromChangelog(_ id: TaskID, topology: Topology, config: FlowstateConfig,
                                             partitionCounts: [String: Int], consumer: any StreamConsumer,
                                             logger: Logger = Logger(label: "flowstate", factory: { _ in SwiftLogNoOpLogHandler() }))
        throws -> [String: StoreSnapshot] {
        let subtopology = topology.subtopologies[id.subtopology]
        let task = try StreamTask(id: id, topology: topology, subtopology: subtopology, applicationID: config.applicationID,
                                  stateDirectory: config.applicationStateDirectory, wallClock: { 0 },
                                  partitionCount: { Int32(partitionCounts[$0] ?? 1) })
        defer { task.close(clean: false) }
        _ = try ChangelogRestorer(consumer: consumer, logger: logger).restore(task, committed: [:])
        return try snapshot(task)
    }

    private static func snapshot(_ task: StreamTask) throws -> [String: StoreSnapshot] {
        var result: [String: StoreSnapshot] = [:]
        for store in task.state.stores {
            var entries: [[UInt8]: [UInt8]] = [:]
            for (key, value) in try store.baseRange(from: nil, to: nil) { entries[key] = value }
            let checkpoint = task.state.isPersistent(store)
                ? try store.changelogTopic.flatMap { topic throws(FlowstateError) in try task.state.changelogCheckpoint(topic) }
                : nil
            result[store.name] = StoreSnapshot(entries: entries, changelogTopic: store.changelogTopic,
                                               isPersistent: task.state.isPersistent(store), changelogCheckpoint: checkpoint)
        }
        return result
    }
}

/// One store of one task as held locally: committed entries and checkpoint.
package struct StoreSnapshot: Equatable, Sendable {
    /// Committed entries (RocksDB or the in-memory base), key to value bytes.
    package var entries: [[UInt8]: [UInt8]]
    /// The store's changelog topic, if logged.
    package var changelogTopic: String?
    /// Whether the store lives in RocksDB.
    package var isPersistent: Bool
    /// The next changelog offset the entries reflect, if checkpointed.
    package var changelogCheckpoint: Int64?
}
