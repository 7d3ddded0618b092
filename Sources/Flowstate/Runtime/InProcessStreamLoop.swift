package import FlowstateKafka

/// Runs a topology in process the way a stream thread does, with no broker: records are
/// processed in arrival order by the same tasks, processors and RocksDB stores; outputs to
/// topics the topology reads are fed back in; task state commits every `commitEvery`
/// records (one RocksDB `WriteBatch` per task, as after a Kafka commit). Changelog and other
/// outputs are handed to `observe` and not kept. The benchmarks' engine-only figure.
package final class InProcessStreamLoop {
    let topology: Topology
    let applicationID: String
    let commitEvery: Int
    private let policy: ProcessingErrorPolicy
    private let partitionCounts: [String: Int]
    private var tasks: [TaskID: StreamTask] = [:]
    private var dirty: [TaskID: StreamTask] = [:]
    /// What the loop knows of each topic written or read, looked up once per record.
    private var routes: [String: TopicRoute] = [:]
    /// Routes with records delivered since the last commit.
    private var deliveredRoutes: [TopicRoute] = []
    /// Records to process, in order: `current` from `head` on (each is taken out, not copied),
    /// then `next` (where new records go).
    /// (Used by the loop's thread alone: no dynamic exclusivity checks.)
    @exclusivity(unchecked) private var current: [QueuedRecord?] = []
    @exclusivity(unchecked) private var next: [QueuedRecord?] = []
    private var head = 0
    /// Calls records suspended on (the run waits for them at its end).
    private let calls = CallScheduler(executor: CallerThreadCallExecutor(), limit: 4_096, maxTimeout: .seconds(600), metrics: nil)
    private var sinceCommit = 0
    private let wallClock: @Sendable () -> Int64
    /// Records processed so far (inputs and fed-back outputs).
    package private(set) var processedRecords = 0
    /// Records the tasks emitted (outputs, changelog records and dead letters).
    package private(set) var emittedRecords = 0
    /// Called with every emitted record.
    package var observe: (KafkaProducerRecord) -> Void = { _ in }

    /// A record waiting to be processed, with its topic's route.
    private struct QueuedRecord {
        let record: KafkaConsumerRecord
        let route: TopicRoute
    }

    /// One topic: its partitions' next offsets and last delivered offsets, and the tasks reading it.
    private final class TopicRoute {
        let topic: String
        let partitionCount: Int32
        /// The task reading each partition (empty when no sub-topology reads the topic).
        let readers: [StreamTask]
        @exclusivity(unchecked) var nextOffsets: [Int64]
        /// Per partition, the offset of the last record delivered since the last commit (-1: none).
        @exclusivity(unchecked) var delivered: [Int64]
        var hasDelivered = false

        init(topic: String, partitionCount: Int32, readers: [StreamTask]) {
            self.topic = topic
            self.partitionCount = partitionCount
            self.readers = readers
            nextOffsets = Array(repeating: 0, count: Int(partitionCount))
            delivered = Array(repeating: -1, count: Int(partitionCount))
        }

        /// Makes room for records to partitions below `count` (a record may name its partition).
        func grow(to count: Int) {
            nextOffsets += Array(repeating: 0, count: count - nextOffsets.count)
            delivered += Array(repeating: -1, count: count - delivered.count)
        }
    }

    /// Creates the loop and every task (each sub-topology × partition), stores under
    /// `<stateDirectory>/<applicationID>`.
    ///
    /// - Parameters:
    ///   - partitions: Partition counts by topic; unnamed topics have 1 partition.
    package init(topology: Topology, applicationID: String, stateDirectory: String, partitions: [String: Int],
                 commitEvery: Int, wallClock: @escaping @Sendable () -> Int64) throws {
        self.topology = topology
        self.applicationID = applicationID
        self.partitionCounts = partitions
        self.commitEvery = max(1, commitEvery)
        policy = topology.processingErrorPolicy
        self.wallClock = wallClock
        for subtopology in topology.subtopologies {
            let count = subtopology.sourceTopics.map { partitions[$0] ?? 1 }.max() ?? 1
            for partition in 0..<count {
                let id = TaskID(subtopology: subtopology.id, partition: Int32(partition))
                let task = try StreamTask(id: id, topology: topology, subtopology: subtopology, applicationID: applicationID,
                                          stateDirectory: "\(stateDirectory)/\(applicationID)", wallClock: wallClock,
                                          partitionCount: { topic in Int32(partitions[topic] ?? 1) })
                try task.initialize()
                tasks[id] = task
            }
        }
    }

    /// Appends a record to `topic` (partition by key, murmur2) for processing.
    package func enqueue(topic: String, key: [UInt8], value: [UInt8], timestamp: Int64) {
        append(KafkaProducerRecord(topic: topic, key: key, value: value, timestamp: timestamp), emitted: false)
    }

    /// Processes queued records and everything they cause, committing every `commitEvery`
    /// records and once at the end.
    ///
    /// - Throws: ``FlowstateError`` when processing fails under ``ProcessingErrorPolicy/fail``.
    package func run() throws {
        while true {
            if head == current.count {
                if next.isEmpty {
                    guard !calls.isIdle else { break }
                    try applyCompletions(waiting: true)
                    continue
                }
                current.removeAll(keepingCapacity: true)
                swap(&current, &next)
                head = 0
            }
            guard let queued = current[head].take() else { preconditionFailure("record \(head) taken twice") }
            head += 1
            try process(queued.record, task: queued.route.readers[Int(queued.record.partition)])
            sinceCommit += 1
            if sinceCommit >= commitEvery, calls.isIdle { try commit() }
        }
        try commit()
    }

    /// Applies finished calls (waiting for one when `waiting`), queueing what they emit.
    private func applyCompletions(waiting: Bool) throws {
        if waiting { calls.executor.waitForCompletions(timeout: .milliseconds(100)) }
        for completion in calls.takeCompletions() {
            guard let task = tasks[completion.id.task] else { continue }
            dirty[task.id] = task
            for (record, outcome) in try task.resume(completion, policy: policy) { emit(outcome, of: record, task: task) }
            calls.launch(task.takeCalls())
        }
    }

    /// Closes every task cleanly.
    package func close() {
        for task in tasks.values { task.close(clean: true) }
        tasks = [:]
    }

    private func process(_ record: KafkaConsumerRecord, task: StreamTask) throws {
        processedRecords += 1
        dirty[task.id] = task
        emit(try task.process(record, policy: policy), of: record, task: task)
        calls.launch(task.takeCalls())
        if !calls.isIdle { try applyCompletions(waiting: false) }
    }

    private func emit(_ outcome: StreamTask.Outcome, of record: KafkaConsumerRecord, task: StreamTask) {
        switch outcome {
        case .processed(let emitted):
            for index in emitted.indices { append(emitted[index], emitted: true) }  // borrowed, not copied
        case .deferred:
            break
        case .rejected(let stage, let reason, _):
            append(DeadLetter.record(for: record, topic: "\(applicationID)-dlq", stage: stage, reason: reason, task: task.id),
                   emitted: true)
        }
    }

    private func route(_ topic: String) -> TopicRoute {
        if let route = routes[topic] { return route }
        let count = Int32(partitionCounts[topic] ?? 1)
        var readers: [StreamTask] = []
        if let subtopology = topology.subtopology(readingTopic: topic) {
            readers = (0..<count).compactMap { tasks[TaskID(subtopology: subtopology.id, partition: $0)] }
            if readers.count != Int(count) { readers = [] }  // co-partitioning was checked: not reached
        }
        let route = TopicRoute(topic: topic, partitionCount: count, readers: readers)
        routes[topic] = route
        return route
    }

    private func append(_ record: borrowing KafkaProducerRecord, emitted: Bool) {
        let route = route(record.topic)
        let partition = record.partition ?? KafkaPartitioner.partition(forKey: record.key ?? [], partitionCount: route.partitionCount)
        if Int(partition) >= route.nextOffsets.count { route.grow(to: Int(partition) + 1) }  // e.g. a changelog: one per task
        let offset = route.nextOffsets[Int(partition)]
        route.nextOffsets[Int(partition)] = offset + 1
        if emitted {
            emittedRecords += 1
            route.delivered[Int(partition)] = offset
            if !route.hasDelivered {
                route.hasDelivered = true
                deliveredRoutes.append(route)
            }
            observe(record)
        }
        guard !route.readers.isEmpty else { return }
        next.append(QueuedRecord(record: KafkaConsumerRecord(topic: record.topic, partition: partition, offset: offset,
                                                             key: record.key, value: record.value, headers: record.headers,
                                                             timestamp: record.timestamp ?? wallClock()),
                                 route: route))
    }

    private func commit() throws {
        sinceCommit = 0
        var delivered: [KafkaTopicPartition: Int64] = [:]
        for route in deliveredRoutes {
            for (partition, offset) in route.delivered.enumerated() where offset >= 0 {
                delivered[KafkaTopicPartition(topic: route.topic, partition: Int32(partition))] = offset
                route.delivered[partition] = -1
            }
            route.hasDelivered = false
        }
        deliveredRoutes.removeAll(keepingCapacity: true)
        for task in dirty.values { try task.commitState(delivered: delivered) }
        dirty = [:]
    }
}
