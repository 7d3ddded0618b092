import Flowstate
import FlowstateKafka

/// What became of a transaction.
enum TransactionOutcome {
    case open, committed, aborted
}

/// The transaction coordinator's view of one `transactional.id`.
struct TransactionalProducerState {
    var producerID: Int64
    var epoch: Int
    var open: OpenTransaction?
}

/// A transaction between its first write and its marker.
struct OpenTransaction {
    var serial: Int
    var partitions: Set<KafkaTopicPartition> = []
    /// Offsets to commit for the group when the transaction commits.
    var offsets: [KafkaTopicPartition: Int64] = [:]
    var groupID: String?
    var startedAt: Int64
    /// Simulated time of the last record or offsets added.
    var lastWriteAt: Int64 = 0
}

/// The transaction coordinator and idempotent appends.
extension SimulatedKafka {
    /// A producer id for an idempotent (non-transactional) producer.
    func newProducerID() -> Int64 {
        nextProducerID += 1
        return nextProducerID
    }

    /// `InitProducerId` for a transactional id: aborts the previous epoch's open transaction and
    /// bumps the epoch, fencing every older producer with this id.
    func initTransactions(_ transactionalID: String) -> (producerID: Int64, epoch: Int) {
        guard var state = transactionalProducers[transactionalID] else {
            let state = TransactionalProducerState(producerID: newProducerID(), epoch: 0)
            transactionalProducers[transactionalID] = state
            return (state.producerID, state.epoch)
        }
        if let open = state.open { writeMarkers(open, outcome: .aborted) }
        state.open = nil
        state.epoch += 1
        transactionalProducers[transactionalID] = state
        return (state.producerID, state.epoch)
    }

    /// Appends a record, dropping a retried duplicate (same producer id, epoch, partition and sequence).
    func append(_ record: KafkaProducerRecord, to partition: KafkaTopicPartition, producerID: Int64, epoch: Int,
                sequence: Int, transaction: Int?) throws(KafkaError) -> Int64 {
        let log = try log(partition)
        let key = ProducerPartition(producerID: producerID, epoch: epoch, partition: partition)
        if let last = sequences[key], sequence <= last.sequence { return last.offset }
        let offset = log.append(key: record.key, value: record.value, headers: record.headers,
                                timestamp: record.timestamp ?? clock.wallClock, transaction: transaction)
        sequences[key] = (sequence, offset)
        return offset
    }

    /// Appends a record inside the producer's transaction (starting it on first use).
    ///
    /// - Throws: ``KafkaError`` `.fenced` when a newer epoch exists.
    func appendTransactional(_ record: KafkaProducerRecord, to partition: KafkaTopicPartition, transactionalID: String,
                             epoch: Int, sequence: Int) throws(KafkaError) -> Int64 {
        var state = try current(transactionalID, epoch: epoch)
        var open = state.open ?? startTransaction()
        open.partitions.insert(partition)
        open.lastWriteAt = clock.now
        state.open = open
        transactionalProducers[transactionalID] = state
        return try append(record, to: partition, producerID: state.producerID, epoch: epoch, sequence: sequence,
                          transaction: open.serial)
    }

    /// `TxnOffsetCommit`: offsets the group gets if the transaction commits. The group checks
    /// the member and generation, so a member that left the group cannot commit (KIP-447).
    ///
    /// - Throws: ``KafkaError`` `.fenced` for an old epoch; `.transactionAbortable` when the
    ///   member is unknown or its generation is stale.
    func addOffsets(_ offsets: [KafkaTopicPartition: KafkaOffset], metadata: StreamGroupMetadata, transactionalID: String,
                    epoch: Int) throws(KafkaError) {
        var state = try current(transactionalID, epoch: epoch)
        let group = group(metadata.groupID)
        try group.checkMember(metadata.memberID, generation: metadata.generation)
        var open = state.open ?? startTransaction()
        open.groupID = metadata.groupID
        open.lastWriteAt = clock.now
        for (partition, offset) in offsets { open.offsets[partition] = offset.rawValue }
        state.open = open
        transactionalProducers[transactionalID] = state
    }

    /// `EndTxn`: writes commit or abort markers; on commit the group's offsets move.
    ///
    /// - Throws: ``KafkaError`` `.fenced` for an old epoch.
    func endTransaction(transactionalID: String, epoch: Int, commit: Bool) throws(KafkaError) {
        var state = try current(transactionalID, epoch: epoch)
        guard let open = state.open else { return }
        writeMarkers(open, outcome: commit ? .committed : .aborted)
        state.open = nil
        transactionalProducers[transactionalID] = state
        if commit { recordCommit(transactionalID: transactionalID, epoch: epoch, lastWriteAt: open.lastWriteAt) }
    }

    /// Whether an open transaction holds offsets of `partitions` for `group`.
    func hasPendingOffsets(group: String, partitions: [KafkaTopicPartition]) -> Bool {
        transactionalProducers.values.contains { state in
            guard let open = state.open, open.groupID == group else { return false }
            return partitions.contains { open.offsets[$0] != nil }
        }
    }

    /// Aborts transactions open longer than the transaction timeout and fences their producers.
    func abortTimedOutTransactions() {
        for id in transactionalProducers.keys.sorted() {
            guard var state = transactionalProducers[id], let open = state.open,
                  clock.now - open.startedAt > transactionTimeout else { continue }
            writeMarkers(open, outcome: .aborted)
            state.open = nil
            state.epoch += 1
            transactionalProducers[id] = state
        }
    }

    private func current(_ transactionalID: String, epoch: Int) throws(KafkaError) -> TransactionalProducerState {
        guard let state = transactionalProducers[transactionalID] else {
            throw KafkaError(.fatal, "transactional id \(transactionalID) was never initialised")
        }
        guard state.epoch == epoch else {
            throw KafkaError(.fenced, "PRODUCER_FENCED: \(transactionalID) epoch \(epoch) is older than \(state.epoch)")
        }
        return state
    }

    private func startTransaction() -> OpenTransaction {
        nextTransaction += 1
        transactionOutcomes[nextTransaction] = .open
        return OpenTransaction(serial: nextTransaction, startedAt: clock.now)
    }

    private func writeMarkers(_ open: OpenTransaction, outcome: TransactionOutcome) {
        for partition in open.partitions.sorted() { try? log(partition).appendMarker(transaction: open.serial) }
        transactionOutcomes[open.serial] = outcome
        if outcome == .committed, let groupID = open.groupID {
            let group = group(groupID)
            for (partition, offset) in open.offsets { group.committed[partition] = offset }
        }
    }
}
