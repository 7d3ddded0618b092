import Flowstate
import FlowstateKafka

/// One entry of a simulated partition: a data record or a transaction marker.
struct SimulatedLogEntry {
    var offset: Int64
    /// `nil` for a commit or abort marker.
    var record: KafkaConsumerRecord?
    /// The transaction the record belongs to, if written by a transactional producer.
    var transaction: Int?
}

/// A partition's log, as Kafka keeps it: offsets only grow, transaction markers take an
/// offset, compaction leaves holes, retention moves the start offset.
final class SimulatedPartitionLog {
    let topicPartition: KafkaTopicPartition
    private(set) var entries: [SimulatedLogEntry] = []
    /// The first offset still held.
    private(set) var startOffset: Int64 = 0
    /// The offset the next entry gets (the high watermark: every write is replicated at once).
    private(set) var endOffset: Int64 = 0
    /// Entries retention deleted, oldest first (kept for the final audit only).
    private(set) var deletedEntries: [SimulatedLogEntry] = []
    /// First offset in this partition of each open transaction.
    private(set) var openTransactions: [Int: Int64] = [:]

    init(_ topicPartition: KafkaTopicPartition) { self.topicPartition = topicPartition }

    /// The last stable offset: read_committed consumers see nothing at or past it.
    var lastStableOffset: Int64 { openTransactions.values.min() ?? endOffset }

    /// Appends a record; returns its offset.
    func append(key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader], timestamp: Int64, transaction: Int?) -> Int64 {
        let offset = endOffset
        if let transaction, openTransactions[transaction] == nil { openTransactions[transaction] = offset }
        entries.append(SimulatedLogEntry(
            offset: offset,
            record: KafkaConsumerRecord(topic: topicPartition.topic, partition: topicPartition.partition, offset: offset,
                                        key: key, value: value, headers: headers, timestamp: timestamp),
            transaction: transaction))
        endOffset += 1
        return offset
    }

    /// Writes the commit or abort marker of `transaction`, ending it in this partition.
    func appendMarker(transaction: Int) {
        entries.append(SimulatedLogEntry(offset: endOffset, record: nil, transaction: transaction))
        endOffset += 1
        openTransactions[transaction] = nil
    }

    /// The index of the first entry at or after `offset`.
    func index(atOrAfter offset: Int64) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Reads committed records from `position` below the last stable offset.
    ///
    /// - Returns: Up to `limit` records, and the next position (past markers and aborted
    ///   records, which a read_committed consumer skips).
    func readCommitted(from position: Int64, limit: Int, isCommitted: (Int) -> Bool) -> ([KafkaConsumerRecord], Int64) {
        let stable = lastStableOffset
        var records: [KafkaConsumerRecord] = []
        var next = max(position, startOffset)
        var index = index(atOrAfter: next)
        while index < entries.count, entries[index].offset < stable, records.count < limit {
            let entry = entries[index]
            if let record = entry.record, entry.transaction.map(isCommitted) ?? true { records.append(record) }
            next = entry.offset + 1
            index += 1
        }
        if records.count < limit, next < stable { next = stable }
        return (records, next)
    }

    /// Whether a committed (or non-transactional) record sits at or after `offset`: what a
    /// group whose committed offset is `offset` has not consumed yet. Markers and aborted
    /// records do not count (a consumer's committed offset never passes a trailing marker).
    func hasCommittedRecord(atOrAfter offset: Int64, isCommitted: (Int) -> Bool) -> Bool {
        entries[index(atOrAfter: offset)...].contains { $0.record != nil && ($0.transaction.map(isCommitted) ?? true) }
    }

    /// Keeps only the newest committed record of each key below the last stable offset, and
    /// drops aborted records there (Kafka's log cleaner). Markers and tombstones stay.
    func compact(isCommitted: (Int) -> Bool, isAborted: (Int) -> Bool) {
        let stable = lastStableOffset
        var newest: [[UInt8]: Int64] = [:]
        for entry in entries where entry.offset < stable {
            guard let record = entry.record, let key = record.key else { continue }
            if entry.transaction.map(isCommitted) ?? true { newest[key] = entry.offset }
        }
        entries.removeAll { entry in
            guard entry.offset < stable, let record = entry.record else { return false }
            if let transaction = entry.transaction, isAborted(transaction) { return true }
            guard let key = record.key else { return false }
            return newest[key].map { $0 > entry.offset } ?? false
        }
    }

    /// Deletes everything before `offset` (retention or DeleteRecords).
    func deleteRecords(before offset: Int64) {
        let target = min(offset, lastStableOffset)
        guard target > startOffset else { return }
        let deleted = index(atOrAfter: target)
        deletedEntries += entries[..<deleted]
        entries.removeFirst(deleted)
        startOffset = target
    }
}
