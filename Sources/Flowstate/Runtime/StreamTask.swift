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
    /// Bumped when uncommitted work is dropped: results of calls started before are void.
    private(set) var epoch = 0
    private var nextCallSerial = 0
    /// Records waiting on a call, by the call's serial number.
    private var suspended: [Int: SuspendedRecord] = [:]
    /// Calls suspended since the host last took them.
    private var startedCalls: [CallRequest] = []
    /// The key of the latest suspension, to see whether a queued record suspended.
    private var lastSuspendedKey: String?

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
        /// An earlier record of its key waits on a call: it runs after that one.
        case deferred
    }

    /// Processes one record: decode, run the sub-topology, collect what it emitted.
    ///
    /// - Returns: The records to produce, or why the record was rejected (deserialization
    ///   failures always; processing failures under ``ProcessingErrorPolicy/deadLetter``), or
    ///   that it waits behind its key (``ProcessorContext/order(by:)``).
    /// - Throws: ``FlowstateError`` `.processing` under ``ProcessingErrorPolicy/fail``, and
    ///   `.undecodableStoredValue` under any policy.
    func process(_ record: KafkaConsumerRecord, policy: ProcessingErrorPolicy) throws -> Outcome {
        defer {
            consumedOffsets[record.topicPartition] = record.offset + 1
            hasUncommittedWork = true
        }
        if record.timestamp > context.streamTime { context.streamTime = record.timestamp }
        return try run(record, policy: policy)
    }

    /// Runs a record (new, or queued behind its key) through the sub-topology.
    private func run(_ record: KafkaConsumerRecord, policy: ProcessingErrorPolicy) throws -> Outcome {
        guard let source = graph.sources[record.topic] else {
            return .rejected(stage: "routing", reason: "no source reads topic \(record.topic)",
                             error: TopologyError(.unknownNode, "no source reads \(record.topic)"))
        }
        context.beginRecord(RecordMetadata(topic: record.topic, partition: record.partition, offset: record.offset))
        do {
            try source.process(record)
            var emitted = context.completeRecord()
            if let suspension = context.takeSuspension() { register(suspension, for: record) }
            emitted += try punctuate(.streamTime, at: context.streamTime)
            return .processed(emitted)
        } catch let deferral as RecordDeferral {
            context.rollbackRecord()
            context.gate.enqueue(record, behind: deferral.key)
            return .deferred
        } catch {
            return try rejection(of: record, error, policy: policy)
        }
    }

    /// Undoes the current record's effects and says why it is rejected (or throws under `.fail`).
    private func rejection(of record: KafkaConsumerRecord, _ error: any Error, policy: ProcessingErrorPolicy) throws -> Outcome {
        context.rollbackRecord()
        if let error = error as? FlowstateError {
            // A stored value that does not decode fails every record touching its key: fatal,
            // never a dead letter (only undecodable input records are dead-lettered).
            if error.code == .undecodableStoredValue { throw error }
            if error.code == .deserialization {
                return .rejected(stage: "deserialization", reason: error.message, error: error)
            }
        }
        let reason = "\(error)"
        if policy == .fail {
            throw FlowstateError(.processing, "processing \(record.topic)-\(record.partition)@\(record.offset) "
                                 + "failed in task \(id): \(reason)", underlying: SendableError(error))
        }
        return .rejected(stage: "processing", reason: reason, error: error)
    }

    // MARK: - Suspended calls

    /// A record waiting on a call.
    private struct SuspendedRecord {
        let record: KafkaConsumerRecord
        let key: String
        let resume: (Result<any Sendable, any Error>) throws -> Void
    }

    private func register(_ suspension: Suspension, for record: KafkaConsumerRecord) {
        lastSuspendedKey = suspension.key
        nextCallSerial += 1
        suspended[nextCallSerial] = SuspendedRecord(record: record, key: suspension.key, resume: suspension.resume)
        context.gate.hold(suspension.key)
        startedCalls.append(CallRequest(id: CallID(task: id, epoch: epoch, serial: nextCallSerial), name: suspension.name,
                                        timeout: suspension.timeout, call: suspension.call))
    }

    /// Calls suspended since the last call, for the host to start.
    func takeCalls() -> [CallRequest] {
        defer { startedCalls.removeAll(keepingCapacity: true) }
        return startedCalls
    }

    /// Records waiting on calls or queued behind their keys.
    var pendingRecords: Int { suspended.count + context.gate.queuedRecords }

    /// Applies a finished call: its record's continuation, then the records queued behind its
    /// key until one suspends again. Returns what became of each (with the record, for dead letters).
    ///
    /// - Throws: ``FlowstateError`` `.processing` under ``ProcessingErrorPolicy/fail``.
    func resume(_ completion: CallCompletion, policy: ProcessingErrorPolicy) throws -> [(KafkaConsumerRecord, Outcome)] {
        guard completion.id.epoch == epoch, let waiting = suspended.removeValue(forKey: completion.id.serial) else { return [] }
        hasUncommittedWork = true
        let record = waiting.record
        context.admittedKey = waiting.key
        defer { context.admittedKey = nil }
        var outcomes: [(KafkaConsumerRecord, Outcome)] = []
        context.beginRecord(RecordMetadata(topic: record.topic, partition: record.partition, offset: record.offset))
        var holdsKey = false
        do {
            try context.order(by: waiting.key)
            try waiting.resume(completion.result)
            let emitted = context.completeRecord()
            if let suspension = context.takeSuspension() {
                register(suspension, for: record)
                holdsKey = true
            }
            outcomes.append((record, .processed(emitted)))
        } catch {
            outcomes.append((record, try rejection(of: record, error, policy: policy)))
        }
        while !holdsKey, let next = context.gate.next(waiting.key) {
            lastSuspendedKey = nil
            let outcome = try run(next, policy: policy)
            outcomes.append((next, outcome))
            holdsKey = lastSuspendedKey == waiting.key
        }
        return outcomes
    }

    /// Drops every suspended and queued record (their calls' results become void).
    private func dropCalls() {
        epoch += 1
        suspended = [:]
        startedCalls = []
        context.gate.clear()
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
                if let error = error as? FlowstateError, error.code == .undecodableStoredValue { throw error }
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
        dropCalls()
        state.dropOverlays()
        consumedOffsets = [:]
        hasUncommittedWork = false
        return Dictionary(uniqueKeysWithValues: sourcePartitions.map {
            ($0, committedOffsets[$0].map { KafkaOffset($0) } ?? .beginning)
        })
    }

    /// Closes processors and stores. `clean` is false after a failure or fencing: overlays are dropped.
    func close(clean: Bool) {
        dropCalls()
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
