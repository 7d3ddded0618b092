import FlowstateKafka
import Foundation
import Logging
import Synchronization

/// One stream thread: a dedicated OS thread that polls its consumer, processes records
/// through its tasks, and commits outputs, changelog writes and offsets in one transaction
/// per commit interval (exactly-once), or flushes then commits offsets (at-least-once).
///
/// `@unchecked Sendable`: all mutable state is touched only on the thread itself (rebalance
/// callbacks run inside its poll); other threads only call ``requestStop()``.
final class StreamThread: @unchecked Sendable {
    let index: Int
    let topology: Topology
    let config: FlowstateConfig
    let clients: any KafkaClientSupplier
    let logger: Logger
    let wallClock: @Sendable () -> Int64
    /// Monotonic time for the commit interval (simulated time in the simulation).
    let monotonicClock: @Sendable () -> Duration
    /// Consulted at step boundaries; `nil` in production.
    let faults: (any FaultInjector)?
    let status: RuntimeStatus
    private let partitionCounts: [String: Int]
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    private var consumer: (any StreamConsumer)?
    private var producer: (any StreamProducer)?
    private var restoreConsumer: (any StreamConsumer)?
    private var listener: ThreadRebalanceListener?
    private(set) var tasks: [TaskID: StreamTask] = [:]
    private var transactionOpen = false
    private var lastCommit: Duration = .zero
    private var callbackError: (any Error)?
    private var migrating = false
    /// Interactive queries for this thread's tasks.
    let queries = StoreQueryMailbox()
    private var lastStoreSample: ContinuousClock.Instant?
    /// Calls that records suspended on.
    private let calls: CallScheduler
    /// Whether a commit is due and waits for the calls in flight (new records are held meanwhile).
    private var draining = false
    /// Partitions paused for back-pressure.
    private var pausedPartitions: Set<KafkaTopicPartition> = []
    /// Assigned partitions of tasks this member does not hold every source partition of (never
    /// processed, never committed, paused), and every pause librdkafka keeps across assignments.
    private var incompleteTasks = IncompleteTasks()
    /// Records polled while a commit waits for calls or the calls are at their bound: processed
    /// after, in order. (Pausing at once would make librdkafka drop and fetch again everything it
    /// had prefetched.)
    private var held: [KafkaConsumerRecord] = []

    init(index: Int, topology: Topology, config: FlowstateConfig, clients: any KafkaClientSupplier,
         partitionCounts: [String: Int], status: RuntimeStatus, logger: Logger,
         wallClock: @escaping @Sendable () -> Int64,
         monotonicClock: @escaping @Sendable () -> Duration = StreamThread.uptime,
         faults: (any FaultInjector)? = nil, callExecutor: any CallExecutor = ConcurrentCallExecutor()) {
        self.index = index
        calls = CallScheduler(executor: callExecutor, limit: config.maxInFlightCalls, maxTimeout: config.maxCallTimeout,
                              metrics: status.metrics)
        self.monotonicClock = monotonicClock
        self.faults = faults
        self.topology = topology
        self.config = config
        self.clients = clients
        self.partitionCounts = partitionCounts
        self.status = status
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "flowstate.thread"] = "\(index)"
        self.logger = logger
    }

    /// Time since an arbitrary fixed start, from the continuous clock.
    static let uptime: @Sendable () -> Duration = {
        let start = ContinuousClock.now
        return { ContinuousClock.now - start }
    }()

    /// Whether the broker shows records of transactions that never committed (resolved at start-up).
    private var unfiltered: Bool {
        config.brokerTransactions == .unfiltered && config.processingGuarantee == .exactlyOnce
    }

    var transactionalID: String { "\(config.applicationID)-\(config.instanceID)-\(index)" }
    var clientID: String { "\(config.applicationID)-\(config.instanceID)-\(index)" }

    // MARK: - Lifecycle

    /// Starts the OS thread.
    func start() {
        let thread = Thread { [self] in
            nameCurrentThread("fs-stream-\(index)")
            run()
            finished.signal()
        }
        thread.name = "fs-stream-\(index)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Asks the thread to finish its batch, commit, close its tasks and leave the group.
    func requestStop() { stopRequested.store(true, ordering: .releasing) }

    /// Waits for the thread to end (call from a non-cooperative context or via ``waitAsync()``).
    func join() { finished.wait(); finished.signal() }

    /// Waits for the thread to end without blocking the cooperative pool.
    func waitAsync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.join()
                continuation.resume()
            }
        }
    }

    private func setState(_ state: ApplicationState) {
        status.update { $0.threadStates[index] = state }
    }

    private func run() {
        setState(.starting)
        do {
            try connect()
            while !stopRequested.load(ordering: .acquiring) { try step() }
            try finish()
        } catch {
            fail(error)
        }
    }

    /// One turn of the loop: poll, process, punctuate, commit when due; aborts and rewinds
    /// after an abortable transaction error, rejoins after being fenced.
    func step() throws {
        do {
            try runOnce()
        } catch let error as KafkaError where error.code == .transactionAbortable {
            do {
                try abortAndRewind(error)
            } catch let abortError as KafkaError where abortError.code == .fenced {
                // Fenced while aborting (a successor took our transactional id): rejoin.
                try migrate(abortError)
            }
        } catch let error as KafkaError where error.code == .fenced {
            try migrate(error)
        }
    }

    /// Graceful stop: commits, closes the tasks and the clients.
    func finish() throws {
        setState(.stopping)
        do {
            try drainCalls()
            try commit(handingOver: true)
        } catch let error as KafkaError where error.code == .fenced || error.code == .transactionAbortable {
            // Fenced or failed transaction: nothing of it counts; stop without committing.
            logger.warning("Final commit failed; stopping without it", metadata: ["flowstate.error": "\(error)"])
            if error.code == .transactionAbortable { try? producer?.abortTransaction() }
            transactionOpen = false
            closeAllTasks(clean: false)
        }
        queries.close()
        closeAllTasks(clean: true)
        try consumer?.close()
        producer?.close()
        try restoreConsumer?.close()
        setState(.stopped)
        logger.info("Stream thread stopped")
    }

    /// Records a failure: aborts the open transaction, closes tasks without committing.
    func fail(_ error: any Error) {
        let failure = (error as? FlowstateError) ?? FlowstateError(.fatal, "\(error)", underlying: SendableError(error))
        logger.error("Stream thread failed", metadata: ["flowstate.error": "\(failure)"])
        if transactionOpen, config.processingGuarantee == .exactlyOnce { try? producer?.abortTransaction() }
        migrating = true
        queries.close()
        closeAllTasks(clean: false)
        try? consumer?.close()
        producer?.close()
        try? restoreConsumer?.close()
        status.update {
            $0.failure = $0.failure ?? failure
            $0.threadStates[index] = .failed
        }
    }

    /// Crash: drops every task's uncommitted work and releases local state (as the OS does when
    /// a process dies) without committing, aborting or closing any Kafka client.
    func abandon() {
        migrating = true
        closeAllTasks(clean: false)
        consumer = nil
        producer = nil
        restoreConsumer = nil
        listener = nil
    }

    @inline(__always)
    private func reach(_ point: FaultPoint) throws {
        if let faults { try faults.reach(point) }
    }

    func connect() throws {
        migrating = false
        incompleteTasks = IncompleteTasks()  // a new consumer: nothing paused
        let consumer = try clients.makeConsumer(groupID: config.applicationID,
                                                groupInstanceID: "\(config.instanceID)-\(index)", clientID: clientID)
        let transactional = config.processingGuarantee == .exactlyOnce
        let producer = try clients.makeProducer(transactionalID: transactional ? transactionalID : nil, clientID: clientID)
        try producer.initTransactions()
        if restoreConsumer == nil { restoreConsumer = try clients.makeRestoreConsumer(clientID: clientID) }
        let listener = ThreadRebalanceListener(thread: self)
        self.consumer = consumer
        self.producer = producer
        self.listener = listener
        try consumer.subscribe(topics: topology.sourceTopics, listener: listener)
        setState(.rebalancing)
        lastCommit = monotonicClock()
    }

    // MARK: - The loop

    private func runOnce() throws {
        guard let consumer, let producer else { return }
        let waitingOnCalls = hasPendingCalls
        var records = try consumer.poll(maxRecords: config.maxPollRecords, timeout: waitingOnCalls ? .zero : .milliseconds(50))
        if let error = callbackError {
            callbackError = nil
            throw error
        }
        let pauses = incompleteTasks.takeChanges()
        if !pauses.pause.isEmpty { try consumer.pause(pauses.pause) }
        if !pauses.resume.isEmpty { try consumer.resume(pauses.resume) }
        if draining || callLoad >= config.maxInFlightCalls {
            held += records
            records = []
        } else if !held.isEmpty {
            records = held + records
            held = []
        }
        var processed = 0
        defer {
            if processed > 0 { status.update { $0.processedRecords += processed } }
            status.metrics.recordProcessed(processed)
        }
        let policy = topology.processingErrorPolicy
        var current: (topic: String, partition: Int32, task: StreamTask?)?
        for record in records {
            // A poll returns runs of records of one partition: look its task up once per run.
            if current == nil || current!.partition != record.partition || current!.topic != record.topic {
                current = (record.topic, record.partition, task(for: record.topicPartition))
            }
            guard let task = current!.task else { continue }
            try beginTransactionIfNeeded()
            let outcome = try task.process(record, policy: policy)
            processed += 1
            try handle(outcome, of: record, in: task, producer)
            calls.launch(task.takeCalls())
        }
        if waitingOnCalls {
            if records.isEmpty { calls.executor.waitForCompletions(timeout: .milliseconds(5)) }
            try applyCompletions(producer)
        }
        try punctuateWallClock()
        if monotonicClock() - lastCommit >= config.commitInterval {
            // A transaction holds only finished records: the commit waits (new records held)
            // until no record waits on a call, so a crash or abort runs every unfinished one again.
            draining = hasPendingCalls
            if !draining { try commit() }
        }
        try applyBackPressure(consumer)
        if waitingOnCalls || hasPendingCalls {
            let inFlight = calls.inFlight + calls.waitingCount
            status.update { $0.callsInFlight[index] = inFlight }
        }
        answerQueries()
        sampleStoreSizes()
    }

    /// Sends what a record emitted, or its dead letter.
    private func handle(_ outcome: StreamTask.Outcome, of record: KafkaConsumerRecord, in task: StreamTask,
                        _ producer: any StreamProducer) throws {
        switch outcome {
        case .processed(let emitted):
            for index in emitted.indices { try send(emitted[index], producer) }  // borrowed, not copied
        case .deferred:
            break
        case .rejected(let stage, let reason, let error):
            if stage == "deserialization", config.deserializationErrorHandling == .fail {
                throw FlowstateError(.deserialization, "\(record.topic)-\(record.partition)@\(record.offset): \(reason)",
                                     underlying: SendableError(error))
            }
            logger.warning("Record sent to the dead-letter topic", metadata: [
                "flowstate.topic": "\(record.topic)", "flowstate.partition": "\(record.partition)",
                "flowstate.offset": "\(record.offset)", "flowstate.reason": "\(reason)"])
            try send(DeadLetter.record(for: record, topic: config.deadLetterTopic, stage: stage,
                                       reason: reason, task: task.id), producer)
            status.update { $0.deadLetteredRecords += 1 }
            status.metrics.recordDeadLetter()
        }
    }

    // MARK: - Suspended calls

    /// Whether any record waits on a call or behind its key.
    private var hasPendingCalls: Bool {
        !calls.isIdle || tasks.values.contains { $0.pendingRecords > 0 }
    }

    /// Applies the calls finished so far: each record's continuation and the records queued
    /// behind its key, and starts the calls they suspend on.
    private func applyCompletions(_ producer: any StreamProducer) throws {
        let policy = topology.processingErrorPolicy
        for completion in calls.takeCompletions() {
            guard let task = tasks[completion.id.task] else { continue }
            try beginTransactionIfNeeded()
            for (record, outcome) in try task.resume(completion, policy: policy) {
                try handle(outcome, of: record, in: task, producer)
            }
            calls.launch(task.takeCalls())
        }
    }

    /// Waits for every call in flight and applies it (a graceful stop, a revocation).
    private func drainCalls() throws {
        guard let producer else { return }
        while hasPendingCalls {
            calls.executor.waitForCompletions(timeout: .milliseconds(100))
            try applyCompletions(producer)
        }
    }

    /// Calls running or waiting for a slot, and records queued behind keys with a call in flight.
    private var callLoad: Int {
        calls.inFlight + calls.waitingCount + tasks.values.reduce(0) { $0 + $1.pendingRecords }
    }

    /// Pauses every assigned partition while the records held (polled while a commit waits on
    /// calls or the calls reach ``FlowstateConfig/maxInFlightCalls``) reach ten polls' worth;
    /// resumes them once the held records are processed. Polling goes on.
    private func applyBackPressure(_ consumer: any StreamConsumer) throws {
        let pause = held.count >= 10 * config.maxPollRecords
        if pause {
            let assigned = Set(tasks.values.flatMap(\.sourcePartitions))
            let newlyPaused = assigned.subtracting(pausedPartitions)
            guard !newlyPaused.isEmpty else { return }
            try consumer.pause(Array(newlyPaused))
            pausedPartitions.formUnion(newlyPaused)
            incompleteTasks.record(paused: newlyPaused)
            status.update { $0.pausedPartitions[index] = pausedPartitions.count }
        } else if !pausedPartitions.isEmpty {
            let assigned = Set(tasks.values.flatMap(\.sourcePartitions))
            let resumable = pausedPartitions.intersection(assigned)
            if !resumable.isEmpty { try consumer.resume(Array(resumable)) }
            incompleteTasks.record(resumed: resumable)
            pausedPartitions = []
            status.update { $0.pausedPartitions[index] = 0 }
        }
    }

    /// Forgets the calls of tasks whose uncommitted work was dropped.
    private func forgetCalls(of ids: some Sequence<TaskID>) {
        for id in ids { calls.forget(task: id) }
    }

    private func send(_ record: KafkaProducerRecord, _ producer: any StreamProducer) throws {
        try reach(.beforeSend)
        try producer.send(record)
        try reach(.afterSend)
    }

    // MARK: - Interactive queries and store sizes

    /// Answers queued interactive queries from committed state.
    private func answerQueries() {
        for query in queries.take() {
            guard let task = tasks[query.task], let store = task.state.stores.first(where: { $0.name == query.store }) else {
                query.answer(.notHosted)
                continue
            }
            do throws(FlowstateError) {
                switch query.kind {
                case .key(let key):
                    query.answer(.value(try store.baseGet(key)))
                case .page(let page):
                    guard let codec = topology.store(named: query.store)?.queryCodec else { throw FlowstateError(.configuration, "no store") }
                    query.answer(.page(try StorePageReader(codec: codec).read(page, from: store)))
                }
            } catch {
                query.answer(.failed(error))
            }
        }
    }

    /// Publishes approximate store sizes, at most every few seconds (counting is a scan).
    private func sampleStoreSizes() {
        let now = ContinuousClock.now
        if let last = lastStoreSample, now - last < .seconds(5) { return }
        lastStoreSample = now
        var entries: [String: Int] = [:]
        for task in tasks.values {
            for store in task.state.stores { entries[store.name, default: 0] += (try? store.approximateCount()) ?? 0 }
        }
        status.update { $0.storeEntries[index] = entries }
    }

    /// Publishes each assigned source partition's next offset as of the last commit.
    private func publishPositions() {
        var positions: [KafkaTopicPartition: Int64] = [:]
        for task in tasks.values { positions.merge(task.committedOffsets) { $1 } }
        status.update { $0.positions[index] = positions }
    }

    private func task(for partition: KafkaTopicPartition) -> StreamTask? {
        guard let subtopology = topology.subtopology(readingTopic: partition.topic) else { return nil }
        return tasks[TaskID(subtopology: subtopology.id, partition: partition.partition)]
    }

    private func beginTransactionIfNeeded() throws {
        guard !transactionOpen else { return }
        try producer?.beginTransaction()
        transactionOpen = true
    }

    private func punctuateWallClock() throws {
        let now = wallClock()
        for task in tasks.values.sorted(by: { $0.id < $1.id }) where task.context.hasDuePunctuation(.wallClockTime, at: now) {
            try beginTransactionIfNeeded()
            for output in try task.punctuate(.wallClockTime, at: now) { if let producer { try send(output, producer) } }
        }
    }

    // MARK: - Commit, abort, migrate

    /// Commits the open transaction (or, at-least-once, flushes and commits offsets), then
    /// applies every task's overlay and checkpoint to local state.
    ///
    /// - Parameter handingOver: The partitions are about to be revoked or the thread stops:
    ///   exactly-once waits for the mirror offset commit too, so whoever reads the partitions
    ///   next sees it on a broker that does not store transactional offset commits. Otherwise
    ///   the mirror is only started (the transaction already committed the offsets).
    private func commit(handingOver: Bool = false) throws {
        lastCommit = monotonicClock()
        guard transactionOpen, let consumer, let producer else { return }
        let started = ContinuousClock.now
        // In task order, so a run is reproducible (the simulation replays it step by step).
        let dirty = tasks.values.filter(\.hasUncommittedWork).sorted { $0.id < $1.id }
        var offsets: [KafkaTopicPartition: KafkaOffset] = [:]
        for task in dirty { for (partition, offset) in task.positions { offsets[partition] = KafkaOffset(offset) } }
        if config.processingGuarantee == .exactlyOnce {
            // Never commit work without offsets: the group's member check on the offset commit is
            // what fences a zombie whose transactional id no successor took over (another pod owns
            // its tasks now). A punctuation-only transaction carries its tasks' positions too.
            guard !offsets.isEmpty || dirty.isEmpty else {
                throw FlowstateError(.fatal, "a transaction holds work of tasks \(dirty.map(\.id)) without source positions")
            }
            if !offsets.isEmpty { try producer.sendOffsetsToTransaction(offsets, groupMetadata: consumer.groupMetadata()) }
            try reach(.beforeCommitTransaction)
            try producer.commitTransaction()
            try reach(.afterCommitTransaction)
        } else {
            try producer.flush()
        }
        transactionOpen = false
        let delivered = producer.takeDeliveredOffsets()
        for task in dirty {
            try reach(.beforeStateWrite)
            try task.commitState(delivered: delivered)
            try reach(.afterStateWrite)
        }
        do {
            // At-least-once: this is the commit. Exactly-once: a mirror of the offsets the
            // transaction committed, for brokers that do not store transactional offset commits;
            // the stream thread need not wait for it (commits reach the coordinator in order).
            // On a broker that shows uncommitted records the mirror also carries each task's
            // changelog ends, the only proof restoration gets there that they committed.
            var mirror = offsets.mapValues { KafkaCommittedOffset($0) }
            if unfiltered {
                for task in dirty {
                    let evidence = CommitEvidence(changelogEnds: task.changelogEnds).metadata
                    for partition in task.sourcePartitions { mirror[partition]?.metadata = evidence }
                }
            }
            if config.processingGuarantee == .atLeastOnce || handingOver {
                try consumer.commit(mirror)
            } else {
                try consumer.startCommit(mirror)
            }
        } catch {
            if config.processingGuarantee == .atLeastOnce { throw error }
            logger.debug("Mirror offset commit failed", metadata: ["flowstate.error": "\(error)"])
        }
        let latency = ContinuousClock.now - started
        status.update {
            $0.commits += 1
            $0.lastCommitLatency = latency
        }
        status.metrics.recordCommit(latency: latency)
        publishPositions()
    }

    /// Aborts the transaction, drops every task's uncommitted state and rewinds its input.
    private func abortAndRewind(_ cause: KafkaError) throws {
        logger.warning("Transaction aborted", metadata: ["flowstate.error": "\(cause)"])
        try producer?.abortTransaction()
        transactionOpen = false
        var positions: [KafkaTopicPartition: KafkaOffset] = [:]
        for task in tasks.values { positions.merge(task.rewind(keepingWrittenKeys: unfiltered)) { $1 } }
        forgetCalls(of: tasks.keys)
        draining = false
        held = []  // every task's partitions are sought back
        if !positions.isEmpty { try consumer?.seek(positions) }
        try sendRewrites()
        status.update { $0.aborts += 1 }
        status.metrics.recordAbort()
        lastCommit = monotonicClock()
    }

    /// Another instance owns our work (we were fenced): drop everything uncommitted and rejoin.
    private func migrate(_ cause: KafkaError) throws {
        logger.warning("Fenced: closing tasks without committing and rejoining", metadata: ["flowstate.error": "\(cause)"])
        migrating = true
        transactionOpen = false
        closeAllTasks(clean: false)
        try? consumer?.close()
        producer?.close()
        consumer = nil
        producer = nil
        status.update { $0.migrations += 1 }
        try connect()
    }

    /// Writes again, in the open transaction, the keys of tasks whose latest changelog records
    /// may belong to transactions that never committed (only on brokers that show those).
    private func sendRewrites() throws {
        guard unfiltered, let producer else { return }
        for task in tasks.values.sorted(by: { $0.id < $1.id }) {
            let records = try task.rewrites()
            guard !records.isEmpty else { continue }
            try beginTransactionIfNeeded()
            for record in records { try send(record, producer) }
        }
    }

    private func closeAllTasks(clean: Bool) {
        for task in tasks.values { task.close(clean: clean) }
        let closed = Array(tasks.keys)
        forgetCalls(of: closed)
        tasks = [:]
        draining = false
        held = []
        pausedPartitions = []
        status.update {
            $0.assignedTasks[index] = []
            $0.positions[index] = [:]
            $0.storeEntries[index] = [:]
            for id in closed { $0.restoration[id] = nil }
        }
    }

    // MARK: - Rebalance callbacks (run inside poll, on this thread)

    fileprivate func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset] {
        let assigned = Set(partitions)
        held.removeAll { assigned.contains($0.topicPartition) }  // they start where the task resumes
        pausedPartitions.subtract(assigned)
        do {
            try reach(.duringRebalance)
            setState(.restoring)
            let committed = try consumer?.committed(partitions) ?? [:]
            var starts: [KafkaTopicPartition: KafkaOffset] = [:]
            let ids = incompleteTasks.update(assigned: assigned, topology: topology, logger: logger)
            for id in ids where tasks[id] == nil {
                let (task, restored) = try openAndRestore(id, committed: committed)
                for partition in task.sourcePartitions {
                    let fromState = restored.sourceOffsets[partition.topic]
                    let committedOffset = committed[partition].flatMap { $0.offset.isConcrete ? $0.offset.rawValue : nil }
                    // Local state advances only after its transaction committed, so state ahead of the
                    // group's offset means the broker did not store the transactional offset commit
                    // (the embedded broker, when the mirror commit failed): resume from the state, or
                    // its records would be counted twice.
                    if let committedOffset, fromState.map({ $0 <= committedOffset }) ?? true {
                        if let fromState, fromState != committedOffset {
                            logger.warning("Committed offset and restored state disagree; using the committed offset",
                                           metadata: ["flowstate.partition": "\(partition)", "flowstate.committed": "\(committedOffset)",
                                                      "flowstate.state": "\(fromState)"])
                        }
                        task.committedOffsets[partition] = committedOffset
                    } else if let fromState {
                        if let committedOffset {
                            logger.warning("Restored state is ahead of the committed offset; resuming from the state",
                                           metadata: ["flowstate.partition": "\(partition)", "flowstate.committed": "\(committedOffset)",
                                                      "flowstate.state": "\(fromState)"])
                        }
                        starts[partition] = KafkaOffset(fromState)
                        task.committedOffsets[partition] = fromState
                    } else {
                        // Nothing committed, nothing restored: start at the log's first offset (what
                        // auto.offset.reset=earliest would pick), known now so that every commit
                        // of this task carries a position for this partition.
                        let first = try consumer?.watermarks(of: partition).low ?? 0
                        starts[partition] = KafkaOffset(first)
                        task.committedOffsets[partition] = first
                    }
                }
                task.restored(restored)
                try task.initialize()
                tasks[id] = task
            }
            try sendRewrites()
            status.update { $0.assignedTasks[index] = tasks.keys.sorted() }
            publishPositions()
            lastStoreSample = nil
            setState(.running)
            return starts
        } catch {
            callbackError = error
            return [:]
        }
    }

    private func openAndRestore(_ id: TaskID, committed: [KafkaTopicPartition: KafkaCommittedOffset]) throws
        -> (StreamTask, ChangelogRestorer.Result) {
        let restorer = ChangelogRestorer(consumer: restoreConsumer!, logger: logger, unfiltered: unfiltered, faults: faults)
        var task = try makeTask(id)
        do {
            let result = try restorer.restore(task, committed: committed, progress: { count in
                self.status.update { $0.restoredRecords += count }
                self.status.metrics.recordRestored(count)
            }, report: { read, total in
                self.status.update {
                    $0.restoration[id] = RestorationProgress(restoredRecords: read, totalRecords: total, isComplete: false)
                }
            })
            status.update {
                $0.restoration[id, default: RestorationProgress(restoredRecords: 0, totalRecords: 0, isComplete: true)]
                    .isComplete = true
            }
            return (task, result)
        } catch let error as FlowstateError where error.code == .taskCorrupted {
            // Local state cannot be trusted: wipe it and restore from the changelog's start once.
            logger.error("Task corrupted; wiping local state", metadata: ["flowstate.task": "\(id)", "flowstate.error": "\(error)"])
            task.state.wipe()
            task = try makeTask(id)
            let result = try restorer.restore(task, committed: committed)
            return (task, result)
        }
    }

    private func makeTask(_ id: TaskID) throws -> StreamTask {
        let subtopology = topology.subtopologies[id.subtopology]
        return try StreamTask(id: id, topology: topology, subtopology: subtopology, applicationID: config.applicationID,
                              stateDirectory: config.applicationStateDirectory, wallClock: wallClock,
                              partitionCount: { [partitionCounts] topic in
                                  guard let count = partitionCounts[topic] else {
                                      throw FlowstateError(.configuration, "output topic \(topic) does not exist")
                                  }
                                  return Int32(count)
                              })
    }

    fileprivate func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) {
        guard !migrating else { return }
        setState(.rebalancing)
        do {
            try reach(.duringRebalance)
            if lost {
                // The open transaction held work of every task: abort it, and rewind the tasks we keep.
                if transactionOpen { try? producer?.abortTransaction() }
                transactionOpen = false
                let lostPartitions = Set(partitions)
                var positions: [KafkaTopicPartition: KafkaOffset] = [:]
                for task in tasks.values {
                    let rewound = task.rewind(keepingWrittenKeys: unfiltered)
                    if !task.sourcePartitions.contains(where: lostPartitions.contains) { positions.merge(rewound) { $1 } }
                }
                forgetCalls(of: tasks.keys)
                draining = false
                held = []  // the kept tasks' partitions are sought back, the lost ones are gone
                if !positions.isEmpty { try consumer?.seek(positions) }
            } else {
                try drainCalls()
                try commit(handingOver: true)
            }
        } catch {
            callbackError = error
        }
        let revoked = Set(partitions)
        pausedPartitions.subtract(revoked)
        incompleteTasks.revoke(revoked)
        held.removeAll { revoked.contains($0.topicPartition) }
        var closed: [TaskID] = []
        for (id, task) in tasks where task.sourcePartitions.contains(where: revoked.contains) {
            task.close(clean: !lost && callbackError == nil)
            tasks[id] = nil
            closed.append(id)
        }
        forgetCalls(of: closed)
        if lost, callbackError == nil {
            do { try sendRewrites() } catch { callbackError = error }
        }
        status.update {
            $0.assignedTasks[index] = tasks.keys.sorted()
            for id in closed { $0.restoration[id] = nil }
        }
        publishPositions()
        lastStoreSample = nil
    }
}

/// Forwards the consumer's rebalance callbacks to the stream thread.
private final class ThreadRebalanceListener: KafkaRebalanceListener, @unchecked Sendable {
    unowned let thread: StreamThread
    init(thread: StreamThread) { self.thread = thread }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset] {
        thread.partitionsAssigned(partitions)
    }
    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) { thread.partitionsRevoked(partitions, lost: false) }
    func partitionsLost(_ partitions: [KafkaTopicPartition]) { thread.partitionsRevoked(partitions, lost: true) }
}
