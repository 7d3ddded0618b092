import FlowstateKafka
import Logging

/// One sub-topology applied to one partition: its nodes, its stores, its positions.
///
/// Used by one stream thread (or the test driver) only.
final class StreamTask {
    let id: TaskID
    let subtopology: Subtopology
    let context: TaskContext
    let graph: TaskGraph
    let state: TaskStateManager
    /// Next offset to process per source partition, after the records processed so far.
    private(set) var consumedOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Next offset per source partition as of the last commit (where to rewind after an abort).
    var committedOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Whether the task processed or punctuated since its last commit.
    private(set) var hasUncommittedWork = false
    /// Per changelog topic, the offset below which the task's changelog partition holds only
    /// committed work (or work written again by committed work): its ``CommitEvidence``.
    private(set) var changelogEnds: [String: Int64] = [:]
    /// Per store name, keys whose latest changelog records may belong to a transaction that
    /// never committed (on a broker that shows those): written again with the committed value.
    private var unconfirmedKeys: [String: Set<[UInt8]>] = [:]
    /// Whether the open transaction holds the rewrites of ``unconfirmedKeys``.
    private var rewritesSent = false
    private(set) var isInitialized = false

    init(id: TaskID, topology: Topology, subtopology: Subtopology, applicationID: String, stateDirectory: String?,
         wallClock: @escaping @Sendable () -> Int64, partitionCount: @escaping (String) throws -> Int32) throws {
        self.id = id
        self.subtopology = subtopology
        context = TaskContext(taskID: id, applicationID: applicationID, wallClock: wallClock, partitionCount: partitionCount)
        let definitions = topology.stores.filter { subtopology.stores.contains($0.name) }
        state = try TaskStateManager(taskID: id, applicationID: applicationID, stateDirectory: stateDirectory,
                                     definitions: definitions, task: context)
        context.attach(state, definitions: definitions)
        graph = try TaskGraph(subtopology: subtopology, nodes: topology.nodes, task: context)
    }

    /// The task's source partitions.
    var sourcePartitions: [KafkaTopicPartition] {
        subtopology.sourceTopics.map { KafkaTopicPartition(topic: $0, partition: id.partition) }
    }

    /// Next offset per source partition after the work done so far (committed or not): what a
    /// commit of this task's work sends to the group. Every source partition has one once the
    /// task is assigned (``StreamThread`` resolves a start for each), so every transaction that
    /// holds this task's work carries a group offset commit, and with it the group's check that
    /// the committer is still a member (KIP-447) — punctuation-only transactions included.
    var positions: [KafkaTopicPartition: Int64] {
        committedOffsets.merging(consumedOffsets) { $1 }
    }

    /// Initialises processors (after restoration).
    func initialize() throws {
        guard !isInitialized else { return }
        try graph.initialize()
        isInitialized = true
    }

    /// What became of one input record.
    enum Outcome {
        case processed([KafkaProducerRecord])
        /// The record's effects were undone; it goes to the dead-letter topic with `reason`.
        case rejected(stage: String, reason: String, error: any Error)
    }

    /// Processes one record: decode, run the sub-topology, collect what it emitted.
    ///
    /// - Returns: The records to produce, or why the record was rejected (deserialization
    ///   failures always; processing failures under ``ProcessingErrorPolicy/deadLetter``).
    /// - Throws: ``FlowstateError`` `.processing` under ``ProcessingErrorPolicy/fail``.
    func process(_ record: KafkaConsumerRecord, policy: ProcessingErrorPolicy) throws -> Outcome {
        let partition = record.topicPartition
        defer {
            consumedOffsets[partition] = record.offset + 1
            hasUncommittedWork = true
        }
        guard let source = graph.sources[record.topic] else {
            return .rejected(stage: "routing", reason: "no source reads topic \(record.topic)",
                             error: TopologyError(.unknownNode, "no source reads \(record.topic)"))
        }
        context.beginRecord(RecordMetadata(topic: record.topic, partition: record.partition, offset: record.offset))
        if record.timestamp > context.streamTime { context.streamTime = record.timestamp }
        do {
            try source.process(record)
            var emitted = context.completeRecord()
            emitted += try punctuate(.streamTime, at: context.streamTime)
            return .processed(emitted)
        } catch let error as FlowstateError where error.code == .deserialization {
            context.rollbackRecord()
            return .rejected(stage: "deserialization", reason: error.message, error: error)
        } catch {
            context.rollbackRecord()
            let reason = "\(error)"
            if policy == .fail {
                throw FlowstateError(.processing, "processing \(record.topic)-\(record.partition)@\(record.offset) "
                                     + "failed in task \(id): \(reason)", underlying: SendableError(error))
            }
            return .rejected(stage: "processing", reason: reason, error: error)
        }
    }

    /// Runs due punctuations of `type`; returns what they emitted.
    ///
    /// - Throws: What a punctuator throws (its own effects are undone first).
    func punctuate(_ type: PunctuationType, at time: Int64) throws -> [KafkaProducerRecord] {
        var emitted: [KafkaProducerRecord] = []
        for (punctuation, due) in context.duePunctuations(type, at: time) {
            context.beginRecord(nil)
            do {
                try punctuation.body(due)
                emitted += context.completeRecord()
                hasUncommittedWork = true
            } catch {
                context.rollbackRecord()
                throw FlowstateError(.processing, "punctuation in task \(id) failed: \(error)", underlying: SendableError(error))
            }
        }
        return emitted
    }

    /// Takes in what restoration found.
    func restored(_ result: ChangelogRestorer.Result) {
        changelogEnds = result.changelogEnds
        unconfirmedKeys = result.unconfirmedKeys
    }

    /// Changelog records that write every unconfirmed key again with its committed value (or a
    /// tombstone), once per transaction until one commits; empty when there is nothing to confirm.
    ///
    /// Once they commit, the task's ``CommitEvidence`` may pass the unconfirmed records: any later
    /// restoration applies those and then these, and ends in the committed state.
    func rewrites() throws(FlowstateError) -> [KafkaProducerRecord] {
        guard !rewritesSent, !unconfirmedKeys.isEmpty else { return [] }
        var records: [KafkaProducerRecord] = []
        for store in state.stores {
            guard let topic = store.changelogTopic, let keys = unconfirmedKeys[store.name] else { continue }
            for key in keys.sorted(by: bytesPrecede) {
                records.append(KafkaProducerRecord(topic: topic, partition: id.partition, key: key, value: try store.baseGet(key)))
            }
        }
        rewritesSent = true
        hasUncommittedWork = true
        return records
    }

    /// Applies the committed overlay and checkpoint to local state.
    ///
    /// - Parameter delivered: Highest acknowledged offset per partition (changelog partitions used).
    func commitState(delivered: [KafkaTopicPartition: Int64]) throws {
        var changelogEnds: [String: Int64] = [:]
        for store in state.stores {
            guard let topic = store.changelogTopic,
                  let offset = delivered[KafkaTopicPartition(topic: topic, partition: id.partition)] else { continue }
            changelogEnds[topic] = offset + 1
        }
        var sources: [String: Int64] = [:]
        for (partition, offset) in consumedOffsets { sources[partition.topic] = offset }
        try state.commit(changelogEnds: changelogEnds, sourceOffsets: sources)
        self.changelogEnds.merge(changelogEnds) { $1 }
        if rewritesSent {
            unconfirmedKeys = [:]
            rewritesSent = false
        }
        committedOffsets.merge(consumedOffsets) { $1 }
        consumedOffsets = [:]
        hasUncommittedWork = false
    }

    /// Drops uncommitted work after an aborted transaction; returns where to rewind each source partition.
    ///
    /// - Parameter keepingWrittenKeys: The broker shows records of aborted transactions: the keys
    ///   the aborted transaction wrote become unconfirmed, to be written again (``rewrites()``).
    func rewind(keepingWrittenKeys: Bool = false) -> [KafkaTopicPartition: KafkaOffset] {
        if keepingWrittenKeys {
            for store in state.stores where store.changelogTopic != nil && !store.overlay.isEmpty {
                unconfirmedKeys[store.name, default: []].formUnion(store.overlay.keys.map(\.bytes))
            }
        }
        rewritesSent = false
        state.dropOverlays()
        consumedOffsets = [:]
        hasUncommittedWork = false
        return Dictionary(uniqueKeysWithValues: sourcePartitions.map {
            ($0, committedOffsets[$0].map { KafkaOffset($0) } ?? .beginning)
        })
    }

    /// Closes processors and stores. `clean` is false after a failure or fencing: overlays are dropped.
    func close(clean: Bool) {
        if !clean { state.dropOverlays() }
        graph.close()
        state.close()
    }
}

/// Wraps any error so it can travel in a `Sendable` error.
struct SendableError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}
