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
    private let partitionCounts: [String: Int]
    private var tasks: [TaskID: StreamTask] = [:]
    private var dirty: [TaskID: StreamTask] = [:]
    private var queue: [KafkaConsumerRecord] = []
    private var head = 0
    private var nextOffsets: [KafkaTopicPartition: Int64] = [:]
    private var delivered: [KafkaTopicPartition: Int64] = [:]
    private var sinceCommit = 0
    private let wallClock: @Sendable () -> Int64
    /// Records processed so far (inputs and fed-back outputs).
    package private(set) var processedRecords = 0
    /// Records the tasks emitted (outputs, changelog records and dead letters).
    package private(set) var emittedRecords = 0
    /// Called with every emitted record.
    package var observe: (KafkaProducerRecord) -> Void = { _ in }

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
        while head < queue.count {
            let record = queue[head]
            head += 1
            if head >= 4_096, head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            try process(record)
            sinceCommit += 1
            if sinceCommit >= commitEvery { try commit() }
        }
        try commit()
    }

    /// Closes every task cleanly.
    package func close() {
        for task in tasks.values { task.close(clean: true) }
        tasks = [:]
    }

    private func process(_ record: KafkaConsumerRecord) throws {
        guard let subtopology = topology.subtopology(readingTopic: record.topic),
              let task = tasks[TaskID(subtopology: subtopology.id, partition: record.partition)] else { return }
        processedRecords += 1
        dirty[task.id] = task
        switch try task.process(record, policy: topology.processingErrorPolicy) {
        case .processed(let emitted):
            for output in emitted { append(output, emitted: true) }
        case .rejected(let stage, let reason, _):
            append(DeadLetter.record(for: record, topic: "\(applicationID)-dlq", stage: stage, reason: reason, task: task.id),
                   emitted: true)
        }
    }

    private func append(_ record: KafkaProducerRecord, emitted: Bool) {
        let count = Int32(partitionCounts[record.topic] ?? 1)
        let partition = record.partition ?? KafkaPartitioner.partition(forKey: record.key ?? [], partitionCount: count)
        let topicPartition = KafkaTopicPartition(topic: record.topic, partition: partition)
        let offset = nextOffsets[topicPartition, default: 0]
        nextOffsets[topicPartition] = offset + 1
        if emitted {
            emittedRecords += 1
            delivered[topicPartition] = offset
            observe(record)
        }
        guard topology.subtopology(readingTopic: record.topic) != nil else { return }
        queue.append(KafkaConsumerRecord(topic: record.topic, partition: partition, offset: offset, key: record.key,
                                         value: record.value, headers: record.headers,
                                         timestamp: record.timestamp ?? wallClock()))
    }

    private func commit() throws {
        sinceCommit = 0
        for task in dirty.values { try task.commitState(delivered: delivered) }
        dirty = [:]
        delivered = [:]
    }
}
