import FlowstateKafka
import Logging

/// Brings a task's stores up to date from their changelogs before it processes input.
///
/// Reads each logged store's changelog partition from the checkpoint to the end offset
/// found at the start (read_committed). What proves that a record's transaction committed
/// depends on the broker:
/// - Kafka (``FlowstateConfig/BrokerTransactions/markers``): read_committed shows only committed
///   records; one whose source offset is at or past the group's committed offset for that
///   source partition is still skipped (a zombie restoring with stale committed offsets).
/// - A broker that shows uncommitted records (``FlowstateConfig/BrokerTransactions/unfiltered``):
///   only records below the changelog end in the task's ``CommitEvidence`` are applied; the
///   others are skipped as unconfirmed and their keys reported, so the task writes them again
///   with their restored value before it commits anything (their inputs are processed again).
struct ChangelogRestorer {
    let consumer: any StreamConsumer
    let logger: Logger
    /// Whether the broker shows records of transactions that never committed.
    var unfiltered = false
    /// Consulted after each restored batch; `nil` in production.
    var faults: (any FaultInjector)? = nil

    /// What restoration found.
    struct Result {
        /// Records applied to stores.
        var restoredRecords = 0
        /// Records skipped as uncommitted.
        var skippedRecords = 0
        /// Next source offset per source topic, from the checkpoint and the restored records.
        var sourceOffsets: [String: Int64] = [:]
        /// Per changelog topic, the offset up to which local state now reflects the changelog.
        var changelogEnds: [String: Int64] = [:]
        /// Per store name, keys of records skipped as unconfirmed (unfiltered brokers).
        var unconfirmedKeys: [String: Set<[UInt8]>] = [:]
    }

    /// Restores every logged store of `task`.
    ///
    /// - Parameters:
    ///   - committed: The group's committed offsets of the task's source partitions.
    ///   - progress: Receives the number of records applied by each batch.
    ///   - report: Receives the changelog offsets read so far and the total to read (the total
    ///     grows as each store's changelog is looked at).
    /// - Throws: ``FlowstateError`` `.taskCorrupted` when the changelog lost records the local
    ///   state needs (its start offset is past the checkpoint), so nothing is restored in part.
    func restore(_ task: StreamTask, committed: [KafkaTopicPartition: KafkaCommittedOffset],
                 progress: (Int) -> Void = { _ in },
                 report: (_ read: Int64, _ total: Int64) -> Void = { _, _ in }) throws -> Result {
        var result = Result()
        var read: Int64 = 0
        var total: Int64 = 0
        result.sourceOffsets = try task.state.sourceCheckpoint(topics: task.subtopology.sourceTopics)
        let finding = unfiltered ? CommitEvidence.find(in: committed, sources: task.sourcePartitions) : .noEvidence
        for store in task.state.stores {
            guard let topic = store.changelogTopic else { continue }
            let partition = KafkaTopicPartition(topic: topic, partition: task.id.partition)
            let checkpoint = task.state.isPersistent(store) ? try task.state.changelogCheckpoint(topic) : nil
            let start = checkpoint ?? 0
            let confirmedEnd = CommitEvidence.confirmedEnd(of: topic, in: finding)
            result.changelogEnds[topic] = start
            // Restore to the log end, not the last stable offset: committed transactions may
            // follow one still open (a crashed or paused producer's); wait for it to end.
            let low = try consumer.watermarks(of: partition).low
            let high = try consumer.logEndOffset(of: partition)
            if low > start {
                throw FlowstateError(.taskCorrupted, "changelog \(partition) starts at offset \(low) but task \(task.id) "
                                     + "needs it from \(start): state was lost (retention or the broker's size limit)")
            }
            if start > high {
                throw FlowstateError(.taskCorrupted, "task \(task.id)'s checkpoint \(start) for \(partition) is past the "
                                     + "changelog's end \(high): the changelog was recreated")
            }
            guard start < high else { continue }
            total += high - start
            report(read, total)
            try consumer.assign([partition: KafkaOffset(start)])
            var position = start
            // The checkpoint never passes a skipped record: if the committed offsets we were given
            // were stale (a zombie restoring after its session expired), a later restoration
            // must see that record again rather than lose a committed write.
            var firstSkipped: Int64?
            var idlePolls = 0
            while position < high {
                let records = try consumer.poll(maxRecords: 5_000, timeout: .milliseconds(200))
                if records.isEmpty {
                    idlePolls += 1
                    // Transaction markers occupy offsets on real brokers: trust the position.
                    if let reached = try consumer.position([partition])[partition], reached.isConcrete {
                        position = max(position, reached.rawValue)
                    }
                    // 400 × 200 ms outlasts the producers' transaction timeout (60 s).
                    if idlePolls > 400 {
                        throw FlowstateError(.taskCorrupted, "restoring \(partition) stalled at \(position) of \(high)")
                    }
                    continue
                }
                idlePolls = 0
                let before = position
                defer { read += position - before; report(read, total) }
                var batch: [(key: [UInt8], value: [UInt8]?)] = []
                var sources = result.sourceOffsets
                for record in records where record.topicPartition == partition {
                    position = record.offset + 1
                    if let confirmedEnd, record.offset >= confirmedEnd {
                        result.skippedRecords += 1
                        firstSkipped = firstSkipped ?? record.offset
                        result.unconfirmedKeys[store.name, default: []].insert(record.key ?? [])
                        continue
                    }
                    if let source = ChangelogHeader.decode(record.headers) {
                        let sourcePartition = KafkaTopicPartition(topic: source.topic, partition: source.partition)
                        if confirmedEnd == nil, let committedOffset = committed[sourcePartition]?.offset, committedOffset.isConcrete,
                           source.offset >= committedOffset.rawValue {
                            result.skippedRecords += 1
                            firstSkipped = firstSkipped ?? record.offset
                            continue
                        }
                        sources[source.topic] = max(sources[source.topic] ?? 0, source.offset + 1)
                    }
                    batch.append((record.key ?? [], record.value))
                }
                try task.state.applyRestored(store: store, records: batch, nextOffset: firstSkipped ?? position,
                                             sourceOffsets: sources)
                result.sourceOffsets = sources
                result.changelogEnds[topic] = firstSkipped ?? position
                result.restoredRecords += batch.count
                progress(batch.count)
                try faults?.reach(.duringRestoration)
            }
        }
        if !result.unconfirmedKeys.isEmpty {
            logger.warning("""
                Changelog records past the task's last confirmed commit were not restored: the broker shows transactions \
                that never committed. Their inputs are processed again and their keys written again; outputs of those \
                inputs may show twice
                """, metadata: [
                            "flowstate.task": "\(task.id)", "flowstate.skipped": "\(result.skippedRecords)",
                            "flowstate.keys": "\(result.unconfirmedKeys.values.map(\.count).reduce(0, +))"])
        }
        if result.restoredRecords > 0 || result.skippedRecords > 0 {
            logger.info("Task restored", metadata: ["flowstate.task": "\(task.id)",
                                                    "flowstate.restored": "\(result.restoredRecords)",
                                                    "flowstate.skipped": "\(result.skippedRecords)"])
        }
        return result
    }
}
