public import FlowstateKafka
public import Logging
public import ServiceLifecycle
import Foundation
import Synchronization

/// Runs a ``Topology`` against Kafka: one instance ("pod") of a scaled-out application.
///
/// ```swift
/// let app = FlowstateApplication(topology: topology, config: config, logger: logger)
/// let group = ServiceGroup(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// Start-up validates the configuration, checks that source and sink topics exist and that
/// every sub-topology's sources are co-partitioned, creates internal topics (changelogs
/// `<application-id>-<store>-changelog`, compacted, and the dead-letter topic
/// `<application-id>-dlq`), then starts the stream threads. The consumer group is the
/// application id with the `range` assignor, so partition *p* of every source topic of a
/// sub-topology lands on the same thread (`cooperative-sticky` cannot guarantee that in
/// librdkafka 2.0.2); static membership uses the instance id.
///
/// On graceful shutdown each thread finishes its batch, commits, closes its stores and leaves
/// the group.
public final class FlowstateApplication: Service, Sendable {
    let topology: Topology
    let config: FlowstateConfig
    let clients: any KafkaClientSupplier
    let logger: Logger
    let wallClock: @Sendable () -> Int64
    let status = RuntimeStatus()
    private let threads = Mutex<[StreamThread]>([])
    private let started = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    /// Creates an application.
    ///
    /// - Parameters:
    ///   - topology: What to run.
    ///   - config: Settings; validated when ``run()`` starts.
    ///   - embeddedCluster: When running on an in-process ``EmbeddedCluster``, the cluster, so
    ///     internal topics can be created (its brokers do not support CreateTopics).
    ///   - logger: Receives the runtime's logs.
    public convenience init(topology: Topology, config: FlowstateConfig, embeddedCluster: EmbeddedCluster? = nil,
                            logger: Logger = Logger(label: "flowstate", factory: { _ in SwiftLogNoOpLogHandler() })) {
        // Records without an explicit partition (dead letters) use Java's partitioner too.
        var properties = config.kafkaProperties
        properties["partitioner"] = properties["partitioner"] ?? "murmur2_random"
        let clients = LibrdkafkaClients(bootstrapServers: config.bootstrapServers, properties: properties,
                                        sessionTimeout: config.sessionTimeout, embeddedCluster: embeddedCluster, logger: logger)
        self.init(topology: topology, config: config, clients: clients, logger: logger)
    }

    package init(topology: Topology, config: FlowstateConfig, clients: any KafkaClientSupplier, logger: Logger,
                 wallClock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.topology = topology
        self.config = config
        self.clients = clients
        self.logger = logger
        self.wallClock = wallClock
    }

    /// The application's current state.
    public var state: ApplicationState { status.applicationState(started: started.load(ordering: .acquiring)) }

    /// The error that stopped the application, if it failed.
    public var failure: FlowstateError? { status.read().failure }

    /// Changelog records restored so far.
    public var restoredRecords: Int { status.read().restoredRecords }

    /// Input records processed so far (including dead-lettered ones).
    public var processedRecords: Int { status.read().processedRecords }

    /// Transactions (or at-least-once commits) completed so far.
    public var commits: Int { status.read().commits }

    /// Transactions aborted so far (after abortable errors).
    public var transactionAborts: Int { status.read().aborts }

    /// Records sent to the dead-letter topic so far.
    public var deadLetteredRecords: Int { status.read().deadLetteredRecords }

    /// Tasks assigned to this instance.
    public var assignedTasks: [TaskID] { status.read().assignedTasks.values.flatMap { $0 }.sorted() }

    /// Runs until graceful shutdown (or ``triggerShutdown()``), then stops the threads cleanly.
    ///
    /// - Throws: ``FlowstateError`` for bad configuration or missing topics at start-up, or the
    ///   error that failed a stream thread.
    public func run() async throws {
        try config.validate()
        started.store(true, ordering: .releasing)
        let counts = try await prepareTopics()
        let threads = (0..<config.threads).map {
            StreamThread(index: $0, topology: topology, config: config, clients: clients, partitionCounts: counts,
                         status: status, logger: logger, wallClock: wallClock)
        }
        self.threads.withLock { $0 = threads }
        threads.forEach { $0.start() }
        if stopRequested.load(ordering: .acquiring) { threads.forEach { $0.requestStop() } }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for thread in threads { group.addTask { await thread.waitAsync() } }
                // A failed thread stops the others.
                group.addTask { [status] in
                    while !Task.isCancelled {
                        if status.read().failure != nil { threads.forEach { $0.requestStop() }; return }
                        if threads.allSatisfy({ status.read().threadStates[$0.index] == .stopped }) { return }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.triggerShutdown()
        }
        if let failure = status.read().failure { throw failure }
    }

    /// Asks every stream thread to commit and stop; ``run()`` then returns.
    public func triggerShutdown() {
        stopRequested.store(true, ordering: .releasing)
        threads.withLock { $0.forEach { $0.requestStop() } }
    }

    /// Checks source and sink topics and creates internal topics; returns partition counts.
    private func prepareTopics() async throws -> [String: Int] {
        let (clients, topology, config) = (clients, topology, config)
        return try await Task.detached {
            try TopicPreparation.prepare(topology: topology, config: config, clients: clients)
        }.value
    }
}
