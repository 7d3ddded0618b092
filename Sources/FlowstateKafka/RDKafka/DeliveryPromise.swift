internal import CRdKafka

/// Completes one awaited `send` when librdkafka reports the record's delivery.
///
/// Passed retained as the record's opaque pointer; the delivery callback takes it back
/// (balancing the retain) exactly once.
final class DeliveryPromise: Sendable {
    private let continuation: CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>

    init(_ continuation: CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>) {
        self.continuation = continuation
    }

    func complete(_ result: Result<KafkaDeliveryReport, KafkaError>) {
        continuation.resume(returning: result)
    }
}

/// librdkafka's delivery-report callback, run on the producer's poll thread.
func rdKafkaDeliveryCallback(_ handle: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?,
                             _ opaque: UnsafeMutableRawPointer?) {
    guard let message else { return }
    let record = message.pointee
    if record.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        // The common case (a stream's record, no promise) needs no report: no topic-name String.
        if let promise = record._private {
            let topic = String(cString: rd_kafka_topic_name(record.rkt))
            Unmanaged<DeliveryPromise>.fromOpaque(promise).takeRetainedValue().complete(.success(KafkaDeliveryReport(
                topicPartition: KafkaTopicPartition(topic: topic, partition: record.partition), offset: record.offset)))
        } else if let rkt = record.rkt {
            RDKafkaClientContext.from(opaque)?.recordDelivered(topic: rkt, partition: record.partition, offset: record.offset)
        }
        return
    }
    let topic = record.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
    var error = KafkaError.response(record.err, context: "delivery to \(topic)-\(record.partition) failed")
    let purged = record.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || record.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT
    if let handle, purged || record.err == RD_KAFKA_RESP_ERR__FATAL, let fatal = KafkaError.fatalError(of: handle) {
        // The producer purged its queue because it failed (e.g. it was fenced): report why.
        error = fatal
    } else if error.code == .broker {
        error = KafkaError(code: .delivery, message: error.message, rdKafkaErrorName: error.rdKafkaErrorName, property: nil,
                           isFatal: error.isFatal, isRetriable: error.isRetriable)
    }
    if let promise = record._private {
        Unmanaged<DeliveryPromise>.fromOpaque(promise).takeRetainedValue().complete(.failure(error))
    } else {
        RDKafkaClientContext.from(opaque)?.recordDeliveryFailure(error)
    }
}
