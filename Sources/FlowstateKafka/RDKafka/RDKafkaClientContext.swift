internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// The Swift side of a librdkafka client that C callbacks reach through the client's
/// opaque pointer: logging, fire-and-forget delivery failures, the rebalance listener.
///
/// - Important: It is retained for the C handle's whole life and released only after
///   `rd_kafka_destroy` has stopped librdkafka's threads (see ``RDKafkaClient``).
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    private let firstDeliveryFailure = Mutex<KafkaError?>(nil)
    let rebalance = Mutex<RebalanceState?>(nil)
    /// Highest acknowledged offset per partition of records produced without a promise,
    /// when the producer tracks them. Keyed by topic handle and partition, so a delivery costs
    /// one lock and a hash of two integers, not a topic-name `String`.
    private let deliveredOffsets = Mutex<[DeliveredPartition: (topic: String, offset: Int64)]>([:])
    private let tracksDeliveredOffsets: Bool

    /// A partition of a topic handle (`rd_kafka_topic_t`) as the delivery callback sees it.
    private struct DeliveredPartition: Hashable {
        let topicHandle: UInt
        let partition: Int32
    }

    init(logger: Logger, tracksDeliveredOffsets: Bool = false) {
        self.logger = logger
        self.tracksDeliveredOffsets = tracksDeliveredOffsets
    }

    /// Records a successful delivery (when tracking).
    func recordDelivered(topic rkt: OpaquePointer, partition: Int32, offset: Int64) {
        guard tracksDeliveredOffsets else { return }
        let key = DeliveredPartition(topicHandle: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(rkt))), partition: partition)
        let cName = rd_kafka_topic_name(rkt)!
        deliveredOffsets.withLock { offsets in
            // The name is checked too: a destroyed handle's address could be reused by another topic.
            if let known = offsets[key], known.topic.withCString({ strcmp($0, cName) == 0 }) {
                if offset > known.offset { offsets[key]!.offset = offset }
            } else {
                offsets[key] = (String(cString: cName), offset)
            }
        }
    }

    /// Returns and clears the highest delivered offsets.
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] {
        let taken = deliveredOffsets.withLock { offsets in
            defer { offsets.removeAll(keepingCapacity: true) }
            return offsets
        }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (key, delivered) in taken {
            let partition = KafkaTopicPartition(topic: delivered.topic, partition: key.partition)
            result[partition] = max(result[partition] ?? -1, delivered.offset)
        }
        return result
    }

    /// Remembers the first failed delivery of a record produced without a completion.
    func recordDeliveryFailure(_ error: KafkaError) {
        firstDeliveryFailure.withLock { if $0 == nil { $0 = error } }
    }

    /// Returns and clears the first delivery failure since the last call.
    func takeDeliveryFailure() -> KafkaError? {
        firstDeliveryFailure.withLock { failure in
            defer { failure = nil }
            return failure
        }
    }

    /// Recovers the context from a client's opaque pointer.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka's log callback: forwards to the client's `Logger` at the matching level.
func rdKafkaLogCallback(_ handle: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?,
                        _ message: UnsafePointer<CChar>?) {
    guard let handle, let context = RDKafkaClientContext.from(rd_kafka_opaque(handle)) else { return }
    let text = message.map { String(cString: $0) } ?? ""
    let facilityText = facility.map { String(cString: $0) } ?? ""
    let logLevel: Logger.Level = switch level {
    case 0...3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
    context.logger.log(level: logLevel, "\(text)", metadata: ["kafka.facility": "\(facilityText)"])
}

/// librdkafka's error callback: client-level errors (e.g. all brokers down) are logged;
/// the operations they affect fail with their own errors.
func rdKafkaErrorCallback(_ handle: OpaquePointer?, _ code: Int32, _ reason: UnsafePointer<CChar>?,
                          _ opaque: UnsafeMutableRawPointer?) {
    guard let context = RDKafkaClientContext.from(opaque) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(code)))
    context.logger.warning("librdkafka error", metadata: ["kafka.error": "\(name)", "kafka.reason": "\(text)"])
}
