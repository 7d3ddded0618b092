import Flowstate
package import FlowstateKafka

/// An in-memory Kafka cluster with Kafka's semantics where the embedded broker lacks them:
/// partition logs with offsets, transaction markers and the last stable offset, read_committed
/// fetches that hide aborted records, idempotent and transactional producers with producer ids
/// and epochs (``initTransactions`` fences older epochs and aborts their open transaction),
/// transactional offset commits that count only on commit, consumer groups with generations,
/// session timeouts and the `range` assignor, compaction and retention on demand.
///
/// Deterministic: time comes from a ``SimulatedClock`` and every random choice (fetch sizes)
/// from a ``SimulationRandom``. Not thread-safe: one simulation drives it from one thread
/// (`@unchecked Sendable` so the runtime's `Sendable` client supplier can hold it).
package final class SimulatedKafka: @unchecked Sendable {
    /// Simulated time.
    package let clock: SimulatedClock
    /// Consumer-group session timeout, in milliseconds.
    package let sessionTimeout: Int64
    /// How long a transaction may stay open before the coordinator aborts it and bumps the
    /// producer's epoch, in milliseconds.
    package let transactionTimeout: Int64
    var random: SimulationRandom

    struct Topic {
        var partitions: [SimulatedPartitionLog]
        var compacted: Bool
    }
    private(set) var topics: [String: Topic] = [:]
    var groups: [String: SimulatedConsumerGroup] = [:]
    var transactionalProducers: [String: TransactionalProducerState] = [:]
    var transactionOutcomes: [Int: TransactionOutcome] = [:]
    var nextTransaction = 0
    var nextProducerID: Int64 = 1000
    /// Last sequence number per (producer id, epoch, partition), for idempotent deduplication.
    var sequences: [ProducerPartition: (sequence: Int, offset: Int64)] = [:]
    /// Every transaction commit accepted, in order (for the zombie property).
    package private(set) var commitLog: [CommittedTransaction] = []

    /// A transaction the coordinator committed.
    package struct CommittedTransaction: Sendable {
        /// The producer's `transactional.id`.
        package var transactionalID: String
        /// The producer epoch that committed.
        package var epoch: Int
        /// Simulated time of the commit.
        package var time: Int64
        /// Simulated time the transaction last gained a record or offsets.
        package var lastWriteAt: Int64
    }

    /// Creates an empty cluster.
    package init(clock: SimulatedClock, random: SimulationRandom, sessionTimeout: Int64, transactionTimeout: Int64) {
        self.clock = clock
        self.random = random
        self.sessionTimeout = sessionTimeout
        self.transactionTimeout = transactionTimeout
    }

    // MARK: - Topics

    /// Creates a topic; `compacted` sets `cleanup.policy=compact`.
    ///
    /// - Throws: ``KafkaError`` `.topicAlreadyExists`, or `.invalidArgument` for no partitions.
    package func createTopic(_ name: String, partitions: Int, compacted: Bool = false) throws(KafkaError) {
        guard topics[name] == nil else { throw KafkaError(.topicAlreadyExists, "topic \(name) already exists") }
        guard partitions > 0 else { throw KafkaError(.invalidArgument, "topic \(name) needs at least one partition") }
        topics[name] = Topic(partitions: (0..<partitions).map {
            SimulatedPartitionLog(KafkaTopicPartition(topic: name, partition: Int32($0)))
        }, compacted: compacted)
    }

    /// The partition count of `topic`, if it exists.
    package func partitionCount(_ topic: String) -> Int? { topics[topic]?.partitions.count }

    func log(_ partition: KafkaTopicPartition) throws(KafkaError) -> SimulatedPartitionLog {
        guard let topic = topics[partition.topic] else {
            throw KafkaError(.unknownTopic, "unknown topic \(partition.topic)")
        }
        guard partition.partition >= 0, Int(partition.partition) < topic.partitions.count else {
            throw KafkaError(.unknownTopic, "unknown partition \(partition)")
        }
        return topic.partitions[Int(partition.partition)]
    }

    func isCommitted(_ transaction: Int) -> Bool { transactionOutcomes[transaction] == .committed }

    /// Every committed record of `topic` as a read_committed consumer sees it, partition by partition.
    package func readCommitted(_ topic: String) -> [KafkaConsumerRecord] {
        guard let partitions = topics[topic]?.partitions else { return [] }
        return partitions.flatMap { $0.readCommitted(from: 0, limit: .max, isCommitted: isCommitted).0 }
    }

    /// Every committed record `topic` ever held, partition by partition: what a read_committed
    /// consumer reading from the beginning would have seen had retention deleted nothing.
    package func auditCommitted(_ topic: String) -> [KafkaConsumerRecord] {
        guard let partitions = topics[topic]?.partitions else { return [] }
        return partitions.flatMap { log in
            (log.deletedEntries + log.entries).compactMap { entry in
                guard let record = entry.record, entry.transaction.map(isCommitted) ?? true else { return nil }
                return record
            }
        }
    }

    /// Whether `partition` holds a committed record at or after `offset` (one a group that
    /// committed `offset` has yet to consume).
    package func hasCommittedRecord(_ partition: KafkaTopicPartition, atOrAfter offset: Int64) -> Bool {
        guard let log = try? log(partition) else { return false }
        return log.hasCommittedRecord(atOrAfter: offset, isCommitted: isCommitted)
    }

    /// Records of committed transactions (and non-transactional ones) of one partition below
    /// `end`, whether or not a still-open transaction holds the last stable offset before them.
    package func committedRecords(_ partition: KafkaTopicPartition, until end: Int64) -> [KafkaConsumerRecord] {
        guard let log = try? log(partition) else { return [] }
        return log.entries.prefix { $0.offset < end }.compactMap { entry in
            entry.transaction.map(isCommitted) ?? true ? entry.record : nil
        }
    }

    /// (log start, last stable offset, log end) of a partition.
    package func offsets(of partition: KafkaTopicPartition) -> (start: Int64, stable: Int64, end: Int64)? {
        guard let log = try? log(partition) else { return nil }
        return (log.startOffset, log.lastStableOffset, log.endOffset)
    }

    // MARK: - Log maintenance on demand

    /// Runs the log cleaner over every compacted topic.
    package func compactAll() {
        for name in topics.keys.sorted() where topics[name]!.compacted {
            for log in topics[name]!.partitions {
                log.compact(isCommitted: isCommitted, isAborted: { self.transactionOutcomes[$0] == .aborted })
            }
        }
    }

    /// Deletes the records of `partition` before `offset` (never past the last stable offset).
    package func deleteRecords(_ partition: KafkaTopicPartition, before offset: Int64) {
        try? log(partition).deleteRecords(before: offset)
    }

    // MARK: - Time

    /// Advances time and runs the coordinators' timers: expired sessions leave their groups,
    /// transactions open too long are aborted and their producers fenced.
    package func advance(by milliseconds: Int64) {
        clock.advance(by: milliseconds)
        for name in groups.keys.sorted() {
            groups[name]!.expireSessions(now: clock.now, timeout: sessionTimeout, partitionCount: partitionCountOrZero)
        }
        abortTimedOutTransactions()
    }

    /// Whether any transaction is open.
    package var hasOpenTransactions: Bool { transactionalProducers.values.contains { $0.open != nil } }

    /// The group's committed offsets.
    package func committedOffsets(group: String) -> [KafkaTopicPartition: Int64] { groups[group]?.committed ?? [:] }

    func group(_ id: String) -> SimulatedConsumerGroup {
        if let group = groups[id] { return group }
        let group = SimulatedConsumerGroup(id: id)
        groups[id] = group
        return group
    }

    func recordCommit(transactionalID: String, epoch: Int, lastWriteAt: Int64) {
        commitLog.append(CommittedTransaction(transactionalID: transactionalID, epoch: epoch, time: clock.now,
                                              lastWriteAt: lastWriteAt))
    }
}

/// A producer id and epoch, and a partition (idempotence bookkeeping: sequences restart with each epoch).
struct ProducerPartition: Hashable {
    var producerID: Int64
    var epoch: Int
    var partition: KafkaTopicPartition
}

extension SimulatedKafka {
    /// Partition count for the assignor (0 for unknown topics).
    func partitionCountOrZero(_ topic: String) -> Int { partitionCount(topic) ?? 0 }
}
