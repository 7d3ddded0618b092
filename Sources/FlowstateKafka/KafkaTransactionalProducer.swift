internal import CRdKafka
public import Logging

/// A transactional Kafka producer: records and consumed offsets commit or abort together.
///
/// The canonical loop (from librdkafka's documentation):
/// ```swift
/// try await producer.initTransactions()
/// try producer.beginTransaction()
/// try producer.produce(record)
/// try await producer.sendOffsetsToTransaction(offsets, groupMetadata: consumer.groupMetadata())
/// do { try await producer.commitTransaction() }
/// catch let error where error.code == .transactionAbortable {
///     try await producer.abortTransaction()   // then rewind the consumer to its committed offsets
/// }
/// catch let error where error.code == .fenced {
///     // a newer instance with the same transactional.id owns the work: close, commit nothing
/// }
/// ```
///
/// Each blocking call has a synchronous form, for the engine's dedicated stream threads, and
/// an `async` form that runs it off the cooperative pool.
public final class KafkaTransactionalProducer: Sendable {
    let core: RDKafkaProducer
    /// The producer's `transactional.id`.
    public let transactionalID: String

    /// Creates a transactional producer; call ``initTransactions(timeout:)`` before use.
    ///
    /// - Parameters:
    ///   - config: Typed settings plus raw librdkafka properties; idempotence is forced on.
    ///   - transactionalID: A stable id (derived from the instance id): a restarted
    ///     instance with the same id fences its predecessor.
    ///   - logger: Receives librdkafka's log lines.
    /// - Throws: ``KafkaError`` naming an invalid property.
    public init(config: KafkaProducerConfig, transactionalID: String,
                logger: Logger = Logger(label: "flowstate.kafka", factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError) {
        self.transactionalID = transactionalID
        core = try RDKafkaProducer(properties: config.properties(transactionalID: transactionalID), logger: logger,
                                  tracksDeliveredOffsets: config.tracksDeliveredOffsets)
    }

    // MARK: - Synchronous (for dedicated threads)

    /// Registers the `transactional.id` with the coordinator, fencing older producers
    /// with the same id and aborting their open transaction.
    ///
    /// - Throws: ``KafkaError`` (``KafkaError/Code/timedOut`` is retriable).
    public func initTransactions(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try KafkaError.check(rd_kafka_init_transactions(core.client.handle, milliseconds(timeout)))
    }

    /// Starts a transaction.
    ///
    /// - Throws: ``KafkaError`` (``KafkaError/Code/fenced`` when fenced).
    public func beginTransaction() throws(KafkaError) {
        try KafkaError.check(rd_kafka_begin_transaction(core.client.handle))
    }

    /// Enqueues a record in the open transaction; the commit fails if its delivery fails.
    ///
    /// - Throws: ``KafkaError`` when the record cannot be enqueued.
    public func produce(_ record: KafkaProducerRecord) throws(KafkaError) {
        try core.produce(record, promise: nil)
    }

    /// Adds consumed offsets (the next offset to read, per partition) to the open transaction.
    ///
    /// - Throws: ``KafkaError`` (``KafkaError/Code/transactionAbortable``, ``KafkaError/Code/fenced``, …).
    public func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset],
                                         groupMetadata: KafkaConsumerGroupMetadata,
                                         timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let error = list.withListPointer { pointer in
            groupMetadata.withPointer { metadata in
                rd_kafka_send_offsets_to_transaction(core.client.handle, pointer, metadata, milliseconds(timeout))
            }
        }
        try KafkaError.check(error)
    }

    /// Commits the open transaction after flushing its records.
    ///
    /// - Throws: ``KafkaError``: ``KafkaError/Code/transactionAbortable`` means call
    ///   ``abortTransaction(timeout:)`` and rewind; ``KafkaError/Code/fenced`` means stop.
    public func commitTransaction(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try KafkaError.check(rd_kafka_commit_transaction(core.client.handle, milliseconds(timeout)))
        if let failure = core.takeDeliveryFailure() { throw failure }
    }

    /// Aborts the open transaction; its records are never visible to read_committed consumers.
    ///
    /// - Throws: ``KafkaError``.
    public func abortTransaction(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try KafkaError.check(rd_kafka_abort_transaction(core.client.handle, milliseconds(timeout)))
        _ = core.takeDeliveryFailure()
    }

    /// Returns and clears the highest acknowledged offset per partition of records enqueued
    /// with ``produce(_:)`` since the last call; empty unless
    /// ``KafkaProducerConfig/tracksDeliveredOffsets`` is set. After a successful
    /// ``commitTransaction(timeout:)`` every record of the transaction is acknowledged.
    public func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] { core.takeDeliveredOffsets() }

    /// Flushes the records enqueued so far, outside of any commit (for at-least-once processing).
    ///
    /// - Throws: ``KafkaError`` on timeout or the first failed delivery since the last check.
    public func flush(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try core.flush(timeout: timeout)
        if let failure = core.takeDeliveryFailure() { throw failure }
    }

    /// Flushes and stops the producer. An open transaction is left to the broker to abort. Idempotent.
    ///
    /// - Throws: ``KafkaError`` when records remain undelivered after `timeout`.
    public func close(timeout: Duration = .seconds(10)) throws(KafkaError) {
        try core.close(timeout: timeout)
    }

    // MARK: - Async (off the cooperative pool)

    /// Async form of ``initTransactions(timeout:)``.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await core.blocking.run { () throws(KafkaError) in try self.initTransactions(timeout: timeout) }
    }

    /// Produces a record in the open transaction and waits for its delivery report.
    ///
    /// - Throws: ``KafkaError`` when the record cannot be delivered.
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        try await core.send(record)
    }

    /// Async form of ``sendOffsetsToTransaction(_:groupMetadata:timeout:)``.
    public func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: KafkaOffset],
                                         groupMetadata: KafkaConsumerGroupMetadata,
                                         timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await core.blocking.run { () throws(KafkaError) in
            try self.sendOffsetsToTransaction(offsets, groupMetadata: groupMetadata, timeout: timeout)
        }
    }

    /// Async form of ``commitTransaction(timeout:)``.
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await core.blocking.run { () throws(KafkaError) in try self.commitTransaction(timeout: timeout) }
    }

    /// Async form of ``abortTransaction(timeout:)``.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await core.blocking.run { () throws(KafkaError) in try self.abortTransaction(timeout: timeout) }
    }

    /// Async form of ``close(timeout:)``.
    public func close(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        try await core.blocking.run { () throws(KafkaError) in try self.close(timeout: timeout) }
    }
}

/// A timeout in milliseconds as librdkafka's `int`.
func milliseconds(_ duration: Duration) -> Int32 {
    Int32(clamping: duration.wholeMilliseconds)
}
