import Flowstate
import FlowstateKafka

/// A producer of a ``SimulatedKafka``: idempotent always (producer id and per-partition
/// sequence numbers; a retried send is deduplicated by the broker), transactional when given a
/// `transactional.id` (epochs, fencing, abortable errors that require an abort).
final class SimulatedProducer: StreamProducer {
    let kafka: SimulatedKafka
    let transactionalID: String?
    let process: SimulatedProcess
    /// Probability that a send is retried as if its acknowledgement was lost.
    let retryChance: Double
    private enum State {
        case uninitialized, ready, inTransaction
        case abortable(String)
        case fenced(KafkaError)
    }
    private var state = State.uninitialized
    private var producerID: Int64 = -1
    private var epoch = 0
    private var sequences: [KafkaTopicPartition: Int] = [:]
    private var delivered: [KafkaTopicPartition: Int64] = [:]
    private var isClosed = false

    init(kafka: SimulatedKafka, transactionalID: String?, process: SimulatedProcess, retryChance: Double) {
        self.kafka = kafka
        self.transactionalID = transactionalID
        self.process = process
        self.retryChance = retryChance
    }

    private func ensureUsable() throws {
        try process.ensureAlive()
        if isClosed { throw KafkaError(.closed, "producer \(transactionalID ?? "idempotent") is closed") }
        if case .fenced(let error) = state { throw error }
    }

    func initTransactions() throws {
        try ensureUsable()
        if let transactionalID {
            (producerID, epoch) = kafka.initTransactions(transactionalID)
        } else {
            producerID = kafka.newProducerID()
        }
        sequences = [:]
        state = .ready
    }

    func beginTransaction() throws {
        try ensureUsable()
        guard transactionalID != nil else { return }
        guard case .ready = state else { throw KafkaError(.fatal, "beginTransaction while \(state)") }
        state = .inTransaction
    }

    func send(_ record: KafkaProducerRecord) throws {
        try ensureUsable()
        if case .uninitialized = state { throw KafkaError(.fatal, "send before initTransactions") }
        if case .abortable(let reason) = state { throw KafkaError(.transactionAbortable, "transaction failed earlier: \(reason)") }
        if transactionalID != nil, case .ready = state { throw KafkaError(.fatal, "send outside a transaction") }
        guard let count = kafka.partitionCount(record.topic) else {
            throw KafkaError(.unknownTopic, "unknown topic \(record.topic)")
        }
        let number: Int32
        if let partition = record.partition {
            number = partition
        } else if let key = record.key {
            number = KafkaPartitioner.partition(forKey: key, partitionCount: Int32(count))
        } else {
            number = Int32.random(in: 0..<Int32(count), using: &kafka.random)
        }
        let partition = KafkaTopicPartition(topic: record.topic, partition: number)
        let sequence = (sequences[partition] ?? -1) + 1
        sequences[partition] = sequence
        let attempts = kafka.random.chance(retryChance) ? 2 : 1
        var offset: Int64 = -1
        for _ in 0..<attempts { offset = try guarded { try append(record, partition, sequence) } }
        delivered[partition] = max(delivered[partition] ?? -1, offset)
    }

    private func append(_ record: KafkaProducerRecord, _ partition: KafkaTopicPartition, _ sequence: Int) throws -> Int64 {
        if let transactionalID {
            return try kafka.appendTransactional(record, to: partition, transactionalID: transactionalID, epoch: epoch,
                                                 sequence: sequence)
        }
        return try kafka.append(record, to: partition, producerID: producerID, epoch: epoch, sequence: sequence, transaction: nil)
    }

    func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset], groupMetadata: StreamGroupMetadata) throws {
        try ensureUsable()
        guard let transactionalID else { return }
        if case .abortable(let reason) = state { throw KafkaError(.transactionAbortable, "transaction failed earlier: \(reason)") }
        guard case .inTransaction = state else { throw KafkaError(.fatal, "sendOffsetsToTransaction outside a transaction") }
        try guarded { try kafka.addOffsets(offsets, metadata: groupMetadata, transactionalID: transactionalID, epoch: epoch) }
    }

    func commitTransaction() throws {
        try ensureUsable()
        guard let transactionalID else { return }
        if case .abortable(let reason) = state { throw KafkaError(.transactionAbortable, "transaction failed earlier: \(reason)") }
        guard case .inTransaction = state else { throw KafkaError(.fatal, "commitTransaction outside a transaction") }
        try guarded { try kafka.endTransaction(transactionalID: transactionalID, epoch: epoch, commit: true) }
        state = .ready
    }

    func abortTransaction() throws {
        try ensureUsable()
        guard let transactionalID else { return }
        try guarded { try kafka.endTransaction(transactionalID: transactionalID, epoch: epoch, commit: false) }
        state = .ready
    }

    func flush() throws { try ensureUsable() }

    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] {
        defer { delivered = [:] }
        return delivered
    }

    func close() { isClosed = true }

    /// Runs a broker call, moving to the fenced or abortable state as its error says.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            if let kafkaError = error as? KafkaError {
                if kafkaError.code == .fenced { state = .fenced(kafkaError) }
                if kafkaError.code == .transactionAbortable { state = .abortable(kafkaError.message) }
            }
            throw error
        }
    }
}
