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
        pollThread = DedicatedThread(name: "rdk:poll") { _ = rd_kafka_poll(handle.pointer, 100) }
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

    /// Hands `record` to `rd_kafka_produceva`, which copies everything it needs. The argument
    /// vector and the headers' C strings live in temporary (stack) storage for the call only:
    /// no heap allocation per record.
    private func enqueue(_ record: borrowing KafkaProducerRecord, opaque: UnsafeMutableRawPointer?) -> OpaquePointer? {
        let headerBytes = record.headers.reduce(0) { $0 + $1.key.utf8.count + 1 + ($1.value?.count ?? 0) }
        return withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7 + record.headers.count) { arguments in
            withUnsafeTemporaryAllocation(byteCount: max(headerBytes, 1), alignment: 1) { storage in
                record.topic.withCString { topic in
                    withOptionalBytes(record.key) { key in
                        withOptionalBytes(record.value) { value in
                            var count = 0
                            var vu = rd_kafka_vu_t()
                            vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topic
                            arguments[count] = vu; count += 1
                            vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA
                            arguments[count] = vu; count += 1
                            vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY
                            arguments[count] = vu; count += 1
                            if let key {
                                vu.vtype = RD_KAFKA_VTYPE_KEY
                                vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress); vu.u.mem.size = key.count
                                arguments[count] = vu; count += 1
                            }
                            if let value {
                                vu.vtype = RD_KAFKA_VTYPE_VALUE
                                vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress); vu.u.mem.size = value.count
                                arguments[count] = vu; count += 1
                            }
                            if let timestamp = record.timestamp {
                                vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP; vu.u.i64 = timestamp
                                arguments[count] = vu; count += 1
                            }
                            if let opaque {
                                vu.vtype = RD_KAFKA_VTYPE_OPAQUE; vu.u.ptr = opaque
                                arguments[count] = vu; count += 1
                            }
                            // Each header's name, NUL-terminated, then its value, one after another.
                            var cursor = 0
                            for header in record.headers {
                                let name = storage.baseAddress! + cursor
                                for byte in header.key.utf8 { storage[cursor] = byte; cursor += 1 }
                                storage[cursor] = 0; cursor += 1
                                vu.vtype = RD_KAFKA_VTYPE_HEADER
                                vu.u.header.name = UnsafePointer(name.assumingMemoryBound(to: CChar.self))
                                if let bytes = header.value {
                                    let start = storage.baseAddress! + cursor
                                    bytes.withUnsafeBytes { if let source = $0.baseAddress { start.copyMemory(from: source, byteCount: $0.count) } }
                                    cursor += bytes.count
                                    vu.u.header.val = UnsafeRawPointer(start); vu.u.header.size = bytes.count
                                } else {
                                    vu.u.header.val = nil; vu.u.header.size = -1
                                }
                                arguments[count] = vu; count += 1
                            }
                            return rd_kafka_produceva(client.handle, arguments.baseAddress, count)
                        }
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
