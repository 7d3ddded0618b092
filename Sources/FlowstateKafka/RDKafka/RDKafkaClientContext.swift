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
    /// when the producer tracks them (`nil` otherwise).
    private let deliveredOffsets = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let tracksDeliveredOffsets: Bool
    /// The last topic name seen by the delivery callback, to avoid rebuilding the String per record.
    private let lastTopic = Mutex<(address: UInt, name: String)?>(nil)

    init(logger: Logger, tracksDeliveredOffsets: Bool = false) {
        self.logger = logger
        self.tracksDeliveredOffsets = tracksDeliveredOffsets
    }

    /// Records a successful delivery (when tracking).
    func recordDelivered(topic rkt: OpaquePointer, partition: Int32, offset: Int64) {
        guard tracksDeliveredOffsets else { return }
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(rkt)))
        let cName = rd_kafka_topic_name(rkt)!
        let name = lastTopic.withLock { cached -> String in
            if let cached, cached.address == address, cached.name.withCString({ strcmp($0, cName) == 0 }) {
                return cached.name
            }
            let name = String(cString: cName)
            cached = (address, name)
            return name
        }
        deliveredOffsets.withLock { offsets in
            let key = KafkaTopicPartition(topic: name, partition: partition)
            if offset > offsets[key, default: -1] { offsets[key] = offset }
        }
    }

    /// Returns and clears the highest delivered offsets.
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] {
        deliveredOffsets.withLock { offsets in
            defer { offsets = [:] }
            return offsets
        }
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
