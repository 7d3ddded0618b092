package import FlowstateKafka
import Foundation
import Synchronization

/// Runs a topology synchronously, with no Kafka: the engine half of `FlowstateTesting`'s
/// `TopologyTestDriver`. Same tasks, processors and stores as a stream thread; every piped
/// record is processed and committed at once; outputs land in in-memory topic logs, and
/// outputs to topics the topology reads are fed back in.
package final class TopologyRunner {
    let topology: Topology
    let applicationID: String
    let stateDirectory: String
    let deserializationErrorHandling: FlowstateConfig.DeserializationErrorHandling
    private var partitionCounts: [String: Int]
    private var tasks: [TaskID: StreamTask] = [:]
    /// Every record written, per topic, in order (outputs, changelogs, dead letters, inputs).
    package private(set) var logs: [String: [KafkaConsumerRecord]] = [:]
    private var nextOffsets: [KafkaTopicPartition: Int64] = [:]
    private let clock: ManualClock
    /// The manual wall clock, in milliseconds.
    package var wallClockTime: Int64 { clock.now }
    private var isClosed = false
    /// Calls records suspended on; every pipe waits for them (and what they cause) to finish.
    private let calls = CallScheduler(executor: CallerThreadCallExecutor(), limit: 4_096, maxTimeout: .seconds(600), metrics: nil)

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - partitions: Partition counts by topic; unnamed topics have 1 partition.
    package init(topology: Topology, applicationID: String, stateDirectory: String, partitions: [String: Int],
                 startTime: Int64, deserializationErrorHandling: FlowstateConfig.DeserializationErrorHandling) throws {
        self.topology = topology
        self.applicationID = applicationID
        self.stateDirectory = stateDirectory
        self.partitionCounts = partitions
        self.clock = ManualClock(startTime)
        self.deserializationErrorHandling = deserializationErrorHandling
        var counts: [String: Int] = [:]
        for topic in topology.sourceTopics { counts[topic] = partitionCount(topic) }
        try topology.validateCoPartitioning(partitionCounts: counts, requireAll: true)
    }

    package func partitionCount(_ topic: String) -> Int { partitionCounts[topic] ?? 1 }

    /// The dead-letter topic's name.
    package var deadLetterTopic: String { "\(applicationID)-dlq" }

    /// Appends a record to `topic` (partition chosen by key unless given) and processes it
    /// and everything it causes.
    ///
    /// - Throws: ``FlowstateError`` when processing fails under ``ProcessingErrorPolicy/fail``
    ///   (or a record cannot be decoded with ``FlowstateConfig/DeserializationErrorHandling/fail``).
    package func pipe(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader],
                      timestamp: Int64) throws {
        try ensureOpen()
        var queue = [append(KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value,
                                                headers: headers, timestamp: timestamp))]
        try drive(&queue)
    }

    /// Processes `queue` and everything it causes, waiting for every call records suspend on.
    private func drive(_ queue: inout [KafkaConsumerRecord]) throws {
        while true {
            while !queue.isEmpty {
                let record = queue.removeFirst()
                queue += try process(record)
            }
            guard !calls.isIdle else { return }
            calls.executor.waitForCompletions(timeout: .milliseconds(100))
            for completion in calls.takeCompletions() {
                guard let task = tasks[completion.id.task] else { continue }
                var emitted: [KafkaProducerRecord] = []
                for (record, outcome) in try task.resume(completion, policy: topology.processingErrorPolicy) {
                    emitted += try outputs(of: outcome, for: record, in: task)
                }
                calls.launch(task.takeCalls())
                queue += commit(task, emitted: emitted)
            }
        }
    }

    /// Advances the wall clock and fires due wall-clock punctuations of every task.
    package func advanceWallClock(by milliseconds: Int64) throws {
        try ensureOpen()
        clock.advance(by: milliseconds)
        var queue: [KafkaConsumerRecord] = []
        for task in tasks.values.sorted(by: { $0.id < $1.id }) {
            let emitted = try task.punctuate(.wallClockTime, at: wallClockTime)
            queue += commit(task, emitted: emitted)
        }
        try drive(&queue)
    }

    /// The typed stores named `name`, one per task that has it.
    package func stores<K, V>(_ name: String, key: K.Type, value: V.Type) throws -> [KeyValueStore<K, V>] {
        try tasks.keys.sorted().compactMap { id in
            guard let task = tasks[id], task.subtopology.stores.contains(name) else { return nil }
            return try task.context.keyValueStore(name, key: K.self, value: V.self)
        }
    }

    /// Creates the tasks of every sub-topology for every partition (as an instance that owns all
    /// partitions would), restoring nothing: stores start empty or from the state directory.
    package func createAllTasks() throws {
        for subtopology in topology.subtopologies {
            let count = subtopology.sourceTopics.map(partitionCount).max() ?? 1
            for partition in 0..<count { _ = try task(TaskID(subtopology: subtopology.id, partition: Int32(partition))) }
        }
    }

    /// Closes every task cleanly (state stays in the state directory).
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        for task in tasks.values { task.close(clean: true) }
        tasks = [:]
    }

    // MARK: - Internals

    private func ensureOpen() throws {
        if isClosed { throw FlowstateError(.storeClosed, "the topology runner is closed") }
    }

    @discardableResult
    private func append(_ record: KafkaProducerRecord) -> KafkaConsumerRecord {
        let count = Int32(partitionCount(record.topic))
        let partition = record.partition ?? KafkaPartitioner.partition(forKey: record.key ?? [], partitionCount: count)
        let topicPartition = KafkaTopicPartition(topic: record.topic, partition: partition)
        let offset = nextOffsets[topicPartition, default: 0]
        nextOffsets[topicPartition] = offset + 1
        let consumed = KafkaConsumerRecord(topic: record.topic, partition: partition, offset: offset, key: record.key,
                                           value: record.value, headers: record.headers,
                                           timestamp: record.timestamp ?? wallClockTime)
        logs[record.topic, default: []].append(consumed)
        return consumed
    }

    private func task(_ id: TaskID) throws -> StreamTask {
        if let task = tasks[id] { return task }
        let task = try StreamTask(
            id: id, topology: topology, subtopology: topology.subtopologies[id.subtopology], applicationID: applicationID,
            stateDirectory: "\(stateDirectory)/\(applicationID)", wallClock: { [clock] in clock.now },
            partitionCount: { [unowned self] topic in Int32(self.partitionCount(topic)) })
        try task.initialize()
        tasks[id] = task
        return task
    }

    /// Processes one record; returns records to feed back (outputs to topics the topology reads).
    private func process(_ record: KafkaConsumerRecord) throws -> [KafkaConsumerRecord] {
        guard let subtopology = topology.subtopology(readingTopic: record.topic) else { return [] }
        let task = try task(TaskID(subtopology: subtopology.id, partition: record.partition))
        let emitted = try outputs(of: try task.process(record, policy: topology.processingErrorPolicy), for: record, in: task)
        calls.launch(task.takeCalls())
        return commit(task, emitted: emitted)
    }

    /// What an outcome writes: the record's outputs, or its dead letter.
    private func outputs(of outcome: StreamTask.Outcome, for record: KafkaConsumerRecord, in task: StreamTask) throws
        -> [KafkaProducerRecord] {
        switch outcome {
        case .processed(let emitted):
            return emitted
        case .deferred:
            return []
        case .rejected(let stage, let reason, let error):
            if stage == "deserialization", deserializationErrorHandling == .fail {
                throw FlowstateError(.deserialization, reason, underlying: SendableError(error))
            }
            return [DeadLetter.record(for: record, topic: deadLetterTopic, stage: stage, reason: reason, task: task.id)]
        }
    }

    /// Writes `emitted` to the logs and commits the task's state; returns records to feed back.
    private func commit(_ task: StreamTask, emitted: [KafkaProducerRecord]) -> [KafkaConsumerRecord] {
        var delivered: [KafkaTopicPartition: Int64] = [:]
        var feedback: [KafkaConsumerRecord] = []
        for output in emitted {
            let written = append(output)
            delivered[written.topicPartition] = written.offset
            if topology.subtopology(readingTopic: written.topic) != nil { feedback.append(written) }
        }
        try? task.commitState(delivered: delivered)
        return feedback
    }
}

/// A wall clock that moves only when told to.
final class ManualClock: Sendable {
    private let milliseconds: Atomic<Int64>
    init(_ start: Int64) { milliseconds = Atomic(start) }
    var now: Int64 { milliseconds.load(ordering: .acquiring) }
    func advance(by delta: Int64) { milliseconds.add(delta, ordering: .acquiringAndReleasing) }
}
