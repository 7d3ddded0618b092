internal import CRdKafka
import Logging
import Synchronization

/// The producer machinery shared by ``KafkaProducer`` and ``KafkaTransactionalProducer``:
/// the handle, its poll thread (which runs delivery callbacks) and record production.
final class RDKafkaProducer: Sendable {
    let client: RDKafkaClient
    let blocking: BlockingExecutor
    private let pollThread: DedicatedThread
    private let closed = Atomic<Bool>(false)

    init(properties: [String: String], logger: Logger, tracksDeliveredOffsets: Bool = false) throws(KafkaError) {
        let client = try RDKafkaClient.make(type: RD_KAFKA_PRODUCER, properties: properties, logger: logger,
                                            tracksDeliveredOffsets: tracksDeliveredOffsets) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryCallback)
        }
        self.client = client
        let handle = SendableOpaquePointer(client.handle)
        let name = properties["transactional.id"] ?? properties["client.id"] ?? "producer"
        blocking = BlockingExecutor(label: "flowstate.kafka.producer.\(name)")
        pollThread = DedicatedThread(name: "rdkafka-poll-\(name)") { _ = rd_kafka_poll(handle.pointer, 100) }
    }

    /// Enqueues a record; its delivery completes `promise` (or, when `nil`, is checked by
    /// ``takeDeliveryFailure()`` after a flush or by the transaction commit).
    ///
    /// Blocks briefly while librdkafka's queue is full.
    func produce(_ record: KafkaProducerRecord, promise: DeliveryPromise?) throws(KafkaError) {
        guard !closed.load(ordering: .relaxed) else { throw KafkaError(.closed, "the producer is closed") }
        let opaque = promise.map { Unmanaged.passRetained($0).toOpaque() }
        while true {
            let error = enqueue(record, opaque: opaque)
            guard let error else { return }
            let code = rd_kafka_error_code(error)
            if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_error_destroy(error)
                rd_kafka_poll(client.handle, 10)
                continue
            }
            if let opaque { Unmanaged<DeliveryPromise>.fromOpaque(opaque).release() }
            if code == RD_KAFKA_RESP_ERR__FATAL, let fatal = client.fatalError() {
                rd_kafka_error_destroy(error)
                throw fatal
            }
            var failure = KafkaError.consuming(error)
            if code == RD_KAFKA_RESP_ERR__STATE {
                // The open transaction already failed ("... in transactional state AbortableError"):
                // the caller must abort, exactly as if the commit had reported it.
                if let fatal = client.fatalError() { throw fatal }
                if failure.message.contains("AbortableError") {
                    failure = KafkaError(code: .transactionAbortable, message: failure.message,
                                         rdKafkaErrorName: failure.rdKafkaErrorName, property: nil,
                                         isFatal: false, isRetriable: false)
                }
            }
            throw failure
        }
    }

    /// Produces a record and waits for its delivery report.
    func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let result: Result<KafkaDeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
            let promise = DeliveryPromise(continuation)
            do throws(KafkaError) {
                try produce(record, promise: promise)
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    /// Waits until every enqueued record is delivered or failed.
    func flush(timeout: Duration) throws(KafkaError) {
        try KafkaError.check(rd_kafka_flush(client.handle, Int32(clamping: timeout.wholeMilliseconds)),
                             "flush did not finish within \(timeout)")
    }

    /// Returns and clears the highest acknowledged offset per partition (when tracking).
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] { client.context.takeDeliveredOffsets() }

    /// Returns the first failure of a record produced without a promise, and clears it.
    func takeDeliveryFailure() -> KafkaError? { client.context.takeDeliveryFailure() }

    /// Flushes for up to `timeout`, then stops the poll thread. Idempotent.
    func close(timeout: Duration) throws(KafkaError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        defer { pollThread.stop() }
        try flush(timeout: timeout)
    }

    deinit { pollThread.stop() }

    // MARK: - Building the produceva argument list

    private func enqueue(_ record: KafkaProducerRecord, opaque: UnsafeMutableRawPointer?) -> OpaquePointer? {
        record.topic.withCString { topic in
            withOptionalBytes(record.key) { key in
                withOptionalBytes(record.value) { value in
                    withCHeaders(record.headers) { headers in
                        var arguments: [rd_kafka_vu_t] = []
                        arguments.reserveCapacity(7 + record.headers.count)
                        var vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topic; arguments.append(vu)
                        vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA
                        arguments.append(vu)
                        vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY; arguments.append(vu)
                        if let key {
                            vu.vtype = RD_KAFKA_VTYPE_KEY
                            vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress); vu.u.mem.size = key.count
                            arguments.append(vu)
                        }
                        if let value {
                            vu.vtype = RD_KAFKA_VTYPE_VALUE
                            vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                            vu.u.mem.size = value.count
                            arguments.append(vu)
                        }
                        if let timestamp = record.timestamp {
                            vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP; vu.u.i64 = timestamp; arguments.append(vu)
                        }
                        if let opaque {
                            vu.vtype = RD_KAFKA_VTYPE_OPAQUE; vu.u.ptr = opaque; arguments.append(vu)
                        }
                        for header in headers {
                            vu.vtype = RD_KAFKA_VTYPE_HEADER
                            vu.u.header.name = header.name
                            vu.u.header.val = header.value
                            vu.u.header.size = header.size
                            arguments.append(vu)
                        }
                        return rd_kafka_produceva(client.handle, arguments, arguments.count)
                    }
                }
            }
        }
    }
}

/// Calls `body` with the bytes' buffer, or `nil` for a null key/value.
private func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// Calls `body` with C copies of the headers (name, value, size; size -1 for a null
/// value) in one allocation that lives for the call only; librdkafka copies them.
private func withCHeaders<T>(
    _ headers: [KafkaHeader],
    _ body: ([(name: UnsafePointer<CChar>, value: UnsafeRawPointer?, size: Int)]) -> T
) -> T {
    if headers.isEmpty { return body([]) }
    let total = headers.reduce(0) { $0 + $1.key.utf8.count + 1 + ($1.value?.count ?? 0) }
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
    defer { storage.deallocate() }
    var cursor = 0
    var entries: [(name: UnsafePointer<CChar>, value: UnsafeRawPointer?, size: Int)] = []
    entries.reserveCapacity(headers.count)
    for header in headers {
        let nameStart = cursor
        for byte in header.key.utf8 { storage[cursor] = byte; cursor += 1 }
        storage[cursor] = 0; cursor += 1
        let name = (storage.baseAddress! + nameStart).assumingMemoryBound(to: CChar.self)
        if let value = header.value {
            let valueStart = cursor
            for byte in value { storage[cursor] = byte; cursor += 1 }
            entries.append((UnsafePointer(name), UnsafeRawPointer(storage.baseAddress! + valueStart), value.count))
        } else {
            entries.append((UnsafePointer(name), nil, -1))
        }
    }
    return body(entries)
}
