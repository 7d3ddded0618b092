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
    /// when the producer tracks them.
    private let deliveredOffsets = Mutex(DeliveredOffsets())
    private let tracksDeliveredOffsets: Bool

    init(logger: Logger, tracksDeliveredOffsets: Bool = false) {
        self.logger = logger
        self.tracksDeliveredOffsets = tracksDeliveredOffsets
    }

    /// Records a successful delivery (when tracking).
    func recordDelivered(topic rkt: OpaquePointer, partition: Int32, offset: Int64) {
        guard tracksDeliveredOffsets else { return }
        deliveredOffsets.withLock { $0.record(topic: rkt, partition: partition, offset: offset) }
    }

    /// Returns and clears the highest delivered offsets.
    func takeDeliveredOffsets() -> [KafkaTopicPartition: Int64] {
        deliveredOffsets.withLock { $0.take() }
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

/// The highest delivered offset per partition. Delivery reports come in runs of one
/// partition, so the run's partition is held apart and merged into the dictionary only
/// when the run ends: one comparison per record instead of a String and a hash lookup.
struct DeliveredOffsets: ~Copyable, Sendable {
    private var offsets: [KafkaTopicPartition: Int64] = [:]
    /// The current run: its topic handle's address, name, partition and highest offset.
    private var run: (address: UInt, topic: String, partition: Int32, offset: Int64)?

    mutating func record(topic rkt: OpaquePointer, partition: Int32, offset: Int64) {
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(rkt)))
        if let current = run, current.address == address, current.partition == partition {
            if offset > current.offset { run!.offset = offset }
            return
        }
        // The name is compared too: a handle's address may be reused by another topic.
        let cName = rd_kafka_topic_name(rkt)!
        let topic: String
        if let current = run, current.address == address, current.topic.withCString({ strcmp($0, cName) == 0 }) {
            topic = current.topic
        } else {
            topic = String(cString: cName)
        }
        endRun()
        run = (address, topic, partition, offset)
    }

    mutating func take() -> [KafkaTopicPartition: Int64] {
        endRun()
        run = nil
        defer { offsets = [:] }
        return offsets
    }

    private mutating func endRun() {
        guard let current = run else { return }
        let key = KafkaTopicPartition(topic: current.topic, partition: current.partition)
        if current.offset > offsets[key, default: -1] { offsets[key] = current.offset }
    }
}
