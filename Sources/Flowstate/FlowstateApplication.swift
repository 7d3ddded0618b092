public import FlowstateKafka
public import Logging
public import Metrics
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
    let status: RuntimeStatus
    private let threads = Mutex<[StreamThread]>([])
    /// Partition counts of source, sink and internal topics, known once ``run()`` prepared them.
    private let partitionCounts = Mutex<[String: Int]?>(nil)
    private let started = Atomic<Bool>(false)
    /// Where calls run (`nil`: the cooperative pool).
    private let callExecutor: (any TaskExecutor)?
    private let stopRequested = Atomic<Bool>(false)

    /// Creates an application.
    ///
    /// - Parameters:
    ///   - topology: What to run.
    ///   - config: Settings; validated when ``run()`` starts.
    ///   - embeddedCluster: When running on an in-process ``EmbeddedCluster``, the cluster, so
    ///     internal topics can be created (its brokers do not support CreateTopics).
    ///   - logger: Receives the runtime's logs.
    ///   - metricsFactory: Receives the engine's `flowstate_…` metrics (records processed,
    ///     commits, aborts, restored records, commit latency). Default: the bootstrapped
    ///     metrics system.
    ///   - callExecutor: Where the calls of workers and endpoints
    ///     (``ProcessorContext/suspend(_:timeout:_:then:)``) run. Default: Swift's cooperative pool.
    public convenience init(topology: Topology, config: FlowstateConfig, embeddedCluster: EmbeddedCluster? = nil,
                            logger: Logger = Logger(label: "flowstate", factory: { _ in SwiftLogNoOpLogHandler() }),
                            metricsFactory: any MetricsFactory = MetricsSystem.factory,
                            callExecutor: (any TaskExecutor)? = nil) {
        // Producers partition records without an explicit partition (dead letters) with Java's
        // murmur2, KafkaProducerConfig's default.
        let clients = LibrdkafkaClients(bootstrapServers: config.bootstrapServers, properties: config.kafkaProperties,
                                        sessionTimeout: config.sessionTimeout, embeddedCluster: embeddedCluster, logger: logger)
        self.init(topology: topology, config: config, clients: clients, logger: logger, metricsFactory: metricsFactory,
                  callExecutor: callExecutor)
    }

    package init(topology: Topology, config: FlowstateConfig, clients: any KafkaClientSupplier, logger: Logger,
                 wallClock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                 metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance, callExecutor: (any TaskExecutor)? = nil) {
        self.callExecutor = callExecutor
        status = RuntimeStatus(metrics: EngineMetrics(applicationID: config.applicationID, factory: metricsFactory))
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
        partitionCounts.withLock { $0 = counts }
        var config = config
        config.brokerTransactions = try await resolveBrokerTransactions()
        let threads = (0..<config.threads).map {
            StreamThread(index: $0, topology: topology, config: config, clients: clients, partitionCounts: counts,
                         status: status, logger: logger, wallClock: wallClock,
                         callExecutor: ConcurrentCallExecutor(preferring: callExecutor))
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

    /// The application's status: state, readiness, assignment, positions, restoration, counts.
    public var runtimeStatus: ApplicationStatus {
        let snapshot = status.read()
        let state = self.state
        let tasks = snapshot.assignedTasks.values.flatMap { $0 }.sorted()
        let partitions = tasks.flatMap { task in
            topology.subtopologies[task.subtopology].sourceTopics.map { KafkaTopicPartition(topic: $0, partition: task.partition) }
        }
        var entries: [String: Int] = [:]
        for perThread in snapshot.storeEntries.values { entries.merge(perThread, uniquingKeysWith: +) }
        return ApplicationStatus(
            state: state,
            isReady: state == .running && snapshot.restoration.values.allSatisfy(\.isComplete),
            assignedTasks: tasks, assignedPartitions: partitions,
            positions: snapshot.positions.values.reduce(into: [:]) { $0.merge($1) { $1 } },
            restoration: snapshot.restoration, storeEntries: entries,
            processedRecords: snapshot.processedRecords, commits: snapshot.commits, transactionAborts: snapshot.aborts,
            deadLetteredRecords: snapshot.deadLetteredRecords, restoredRecords: snapshot.restoredRecords,
            lastCommitLatency: snapshot.lastCommitLatency,
            callsInFlight: snapshot.callsInFlight.values.reduce(0, +),
            pausedPartitions: snapshot.pausedPartitions.values.reduce(0, +))
    }

    /// The names of the topology's stores, which interactive queries can read.
    public var storeNames: [String] { topology.stores.map(\.name) }

    /// Finds the task, and so the partition, that holds `key` in a store.
    ///
    /// The key (or `partitionKey`) is encoded with the store's key serde (as UTF-8) and mapped
    /// with Kafka's murmur2 partitioner over the partition count of the store's source topics,
    /// so it assumes the store is keyed like its input (as every store fed by `process` on a
    /// keyed stream is), or that `partitionKey` is the key of the input records.
    ///
    /// - Parameters:
    ///   - name: The store's name.
    ///   - key: The key as text: a `String` key as is, numbers in decimal, other `Codable` keys as JSON.
    /// - Returns: The store, task, source topics and partition of the key.
    /// - Throws: ``FlowstateError`` `.configuration` for an unknown store (setting `store`) or
    ///   before the application has looked up its topics; `.serialization` for a key that
    ///   cannot be encoded.
    ///   - partitionKey: For a store keyed by something other than its task's partition key
    ///     (``StoreDefinition/partitioned(byValueIn:)``), the partition key of `key` (for example
    ///     read from the index store); `nil`: `key` itself.
    public func locate(store name: String, key: String, partitionKey: String? = nil) throws(FlowstateError) -> StoreKeyLocation {
        let (location, _) = try locateKey(store: name, key: key, partitionKey: partitionKey)
        return location
    }

    /// The index store that maps keys of store `name` to partition keys, if the store declares
    /// one (``StoreDefinition/partitioned(byValueIn:)``).
    public func partitionKeyStore(ofStore name: String) -> String? {
        topology.store(named: name)?.partitionKeyStore
    }

    /// Reads `key` from a store of this instance: an interactive query.
    ///
    /// Answers from committed state (the writes of an open transaction are not visible) on the
    /// stream thread that hosts the key's task, between two of its poll loops; while that thread
    /// restores a task, the answer waits for it.
    ///
    /// - Parameters:
    ///   - name: The store's name.
    ///   - key: The key as text (see ``locate(store:key:partitionKey:)``).
    ///   - partitionKey: The key's partition key when it differs from the key (see ``locate(store:key:partitionKey:)``).
    /// - Returns: The value as JSON (the store's value serde decodes it), ``StoreQueryResult/absent``,
    ///   or ``StoreQueryResult/notHosted(_:)`` with where the key lives when another instance hosts it.
    /// - Throws: ``FlowstateError`` as ``locate(store:key:partitionKey:)``, or when the store cannot be read
    ///   or its value cannot be turned into JSON.
    public func queryStore(name: String, key: String, partitionKey: String? = nil) async throws(FlowstateError) -> StoreQueryResult {
        let (location, bytes) = try locateKey(store: name, key: key, partitionKey: partitionKey)
        let snapshot = status.read()
        guard let thread = threads.withLock({ $0 }).first(where: {
            snapshot.assignedTasks[$0.index]?.contains(location.task) == true
        }) else {
            return .notHosted(location)
        }
        let answer = await withCheckedContinuation { (continuation: CheckedContinuation<StoreQueryMailbox.Answer, Never>) in
            thread.queries.post(StoreQueryMailbox.Query(store: name, task: location.task, kind: .key(bytes)) {
                continuation.resume(returning: $0)
            })
        }
        switch answer {
        case .value(let value?):
            guard let codec = topology.store(named: name)?.queryCodec else { return .absent }
            return .found(json: try codec.valueJSON(value))
        case .value(nil), .page:
            return .absent
        case .notHosted:
            return .notHosted(location)
        case .failed(let error):
            throw error
        }
    }

    /// One page of a store's entries held by this application's tasks, in key order, from
    /// committed state.
    ///
    /// Each local task reads at most `request.limit` entries (a filtered read examines at most
    /// `request.scanBudget`) through an iterator, and the pages are merged; other pods' tasks
    /// are not read (a pod's HTTP server gathers those). Follow ``StorePage/next``.
    ///
    /// - Throws: ``FlowstateError`` `.configuration` with setting `store` for an unknown store,
    ///   `.serialization` for a limit outside 1...1000 or a key text the store cannot encode.
    public func queryStorePage(name: String, request: StorePageRequest) async throws(FlowstateError) -> StorePage {
        let page = try await queryStoreBytePage(name: name, request: request)
        return StorePage(entries: page.entries.map(\.entry), next: try page.scannedTo.map { key throws(FlowstateError) in
            guard let codec = topology.store(named: name)?.queryCodec else { return "" }
            return try codec.keyText(key)
        })
    }

    /// A store's key bytes for query text (to order other pods' pages among this pod's).
    package func storeKeyBytes(store name: String, text: String) throws(FlowstateError) -> [UInt8] {
        guard let definition = topology.store(named: name) else {
            throw FlowstateError(.configuration, "no store named '\(name)'", setting: "store")
        }
        return try definition.queryCodec.encodeKey(text)
    }

    /// A store's query text for key bytes.
    package func storeKeyText(store name: String, bytes: [UInt8]) throws(FlowstateError) -> String {
        guard let definition = topology.store(named: name) else {
            throw FlowstateError(.configuration, "no store named '\(name)'", setting: "store")
        }
        return try definition.queryCodec.keyText(bytes)
    }

    /// ``queryStorePage(name:request:)`` in key bytes, for merging with other pods' pages.
    package func queryStoreBytePage(name: String, request: StorePageRequest) async throws(FlowstateError) -> StoreBytePage {
        guard let definition = topology.store(named: name),
              let subtopology = topology.subtopologies.first(where: { $0.stores.contains(name) }) else {
            throw FlowstateError(.configuration, "no store named '\(name)'; stores: \(storeNames.joined(separator: ", "))",
                                 setting: "store")
        }
        guard (1...StorePageRequest.maximumLimit).contains(request.limit) else {
            throw FlowstateError(.serialization, "limit must be 1...\(StorePageRequest.maximumLimit) (got \(request.limit))")
        }
        let codec = definition.queryCodec
        var lower = try request.from.map { text throws(FlowstateError) in try codec.encodeKey(text) }
        var upper = try request.to.map { text throws(FlowstateError) in try codec.encodeKey(text) }
        if let prefix = try request.prefix.map({ text throws(FlowstateError) in try codec.encodeKey(text) }) {
            if lower.map({ $0.lexicographicallyPrecedes(prefix) }) ?? true { lower = prefix }
            if let end = prefixSuccessor(prefix), upper.map({ end.lexicographicallyPrecedes($0) }) ?? true { upper = end }
        }
        let query = StoreQueryMailbox.PageQuery(
            lower: lower, upper: upper, after: try request.after.map { text throws(FlowstateError) in try codec.encodeKey(text) },
            limit: request.limit, budget: max(request.limit, request.scanBudget), match: request.match)
        let snapshot = status.read()
        var asked: [(thread: StreamThread, task: TaskID)] = []
        for thread in threads.withLock({ $0 }) {
            for task in snapshot.assignedTasks[thread.index] ?? [] where task.subtopology == subtopology.id {
                asked.append((thread, task))
            }
        }
        var pages: [StoreBytePage] = []
        for (thread, task) in asked {
            let answer = await withCheckedContinuation { (continuation: CheckedContinuation<StoreQueryMailbox.Answer, Never>) in
                thread.queries.post(StoreQueryMailbox.Query(store: name, task: task, kind: .page(query)) {
                    continuation.resume(returning: $0)
                })
            }
            switch answer {
            case .page(let page): pages.append(page)
            case .failed(let error): throw error
            case .value, .notHosted: continue  // moved away meanwhile: another pod answers for it
            }
        }
        return StoreBytePage.merge(pages, limit: request.limit)
    }

    private func locateKey(store name: String, key: String, partitionKey: String?) throws(FlowstateError) -> (StoreKeyLocation, [UInt8]) {
        guard let definition = topology.store(named: name),
              let subtopology = topology.subtopologies.first(where: { $0.stores.contains(name) }) else {
            throw FlowstateError(.configuration, "no store named '\(name)'; stores: \(storeNames.joined(separator: ", "))",
                                 setting: "store")
        }
        guard let counts = partitionCounts.withLock({ $0 }) else {
            throw FlowstateError(.configuration, "the application has not looked up its topics yet")
        }
        let partitions = subtopology.sourceTopics.compactMap { counts[$0] }.max() ?? 1
        let bytes = try definition.queryCodec.encodeKey(key)
        let partition = KafkaPartitioner.partition(forKey: partitionKey.map { Array($0.utf8) } ?? bytes,
                                                   partitionCount: Int32(partitions))
        let location = StoreKeyLocation(store: name, task: TaskID(subtopology: subtopology.id, partition: partition),
                                        sourceTopics: subtopology.sourceTopics, partition: partition)
        return (location, bytes)
    }

    /// Asks every stream thread to commit and stop; ``run()`` then returns.
    public func triggerShutdown() {
        stopRequested.store(true, ordering: .releasing)
        threads.withLock { $0.forEach { $0.requestStop() } }
    }

    /// Checks source and sink topics and creates internal topics; returns partition counts.
    /// ``FlowstateConfig/brokerTransactions`` as set, or detected from the cluster's id.
    private func resolveBrokerTransactions() async throws -> FlowstateConfig.BrokerTransactions {
        guard config.brokerTransactions == .detect else { return config.brokerTransactions }
        let clients = clients
        let clusterID = try await Task.detached { try clients.makeAdmin().clusterID() }.value
        let resolved = FlowstateConfig.BrokerTransactions.detected(clusterID: clusterID)
        logger.info("Broker transactions detected", metadata: ["flowstate.cluster-id": "\(clusterID ?? "none")",
                                                                "flowstate.broker-transactions": "\(resolved.rawValue)"])
        return resolved
    }

    private func prepareTopics() async throws -> [String: Int] {
        let (clients, topology, config) = (clients, topology, config)
        return try await Task.detached {
            try TopicPreparation.prepare(topology: topology, config: config, clients: clients)
        }.value
    }
}
