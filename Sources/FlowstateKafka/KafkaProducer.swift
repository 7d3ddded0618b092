public import Logging

/// An idempotent Kafka producer.
///
/// ```swift
/// let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: ["localhost:9092"]))
/// let report = try await producer.send(KafkaProducerRecord(topic: "orders", key: "o-1", value: "{}"))
/// try await producer.close()
/// ```
///
/// Delivery callbacks run on a dedicated poll thread owned by the producer; `send`
/// suspends without blocking the cooperative pool.
public final class KafkaProducer: Sendable {
    let core: RDKafkaProducer

    /// Creates a producer; it connects lazily on the first record.
    ///
    /// - Parameters:
    ///   - config: Typed settings plus raw librdkafka properties.
    ///   - logger: Receives librdkafka's log lines. Default: a no-op logger.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/configuration`` naming an invalid property.
    public init(config: KafkaProducerConfig, logger: Logger = Logger(label: "flowstate.kafka", factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError) {
        core = try RDKafkaProducer(properties: config.properties(transactionalID: nil), logger: logger,
                                  tracksDeliveredOffsets: config.tracksDeliveredOffsets)
    }

    /// Produces a record and waits for the broker's acknowledgement.
    ///
    /// - Returns: Where the record was written.
    /// - Throws: ``KafkaError`` when the record cannot be enqueued or delivered.
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        try await core.send(record)
    }

    /// Enqueues a record without waiting; a delivery failure is reported by the next ``flush(timeout:)``.
    ///
    /// - Throws: ``KafkaError`` when the record cannot be enqueued (closed producer, unknown partition).
    public func produce(_ record: KafkaProducerRecord) throws(KafkaError) {
        try core.produce(record, promise: nil)
    }

    /// Waits until every enqueued record is delivered.
    ///
    /// - Throws: ``KafkaError`` on timeout, or the first delivery failure of a record
    ///   enqueued with ``produce(_:)`` since the last flush.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let core = core
        try await core.blocking.run { () throws(KafkaError) in
            try core.flush(timeout: timeout)
            if let failure = core.takeDeliveryFailure() { throw failure }
        }
    }

    /// Flushes outstanding records and stops the producer. Idempotent.
    ///
    /// - Throws: ``KafkaError`` when records remain undelivered after `timeout`.
    public func close(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let core = core
        try await core.blocking.run { () throws(KafkaError) in try core.close(timeout: timeout) }
    }

    /// Blocking form of ``flush(timeout:)``, for dedicated threads.
    public func flush(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try core.flush(timeout: timeout)
        if let failure = core.takeDeliveryFailure() { throw failure }
    }

    /// Blocking form of ``close(timeout:)``, for dedicated threads.
    public func close(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try core.close(timeout: timeout)
    }

    /// Returns and clears the highest acknowledged offset per partition of records enqueued
    /// with ``produce(_:)``; empty unless ``KafkaProducerConfig/tracksDeliveredOffsets`` is set.
    public func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] { core.takeDeliveredOffsets() }
}
