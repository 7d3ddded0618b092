internal import CRdKafka
import Logging

/// Owns one `rd_kafka_t` handle and the context its callbacks use.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe; the handle is destroyed only
/// in `deinit`, when no other reference exists.
final class RDKafkaClient: @unchecked Sendable {
    /// The `rd_kafka_t*`; valid for the client's life.
    let handle: OpaquePointer
    /// The context C callbacks reach through the opaque pointer.
    let context: RDKafkaClientContext
    private let retainedContext: Unmanaged<RDKafkaClientContext>

    private init(handle: OpaquePointer, context: RDKafkaClientContext, retained: Unmanaged<RDKafkaClientContext>) {
        self.handle = handle
        self.context = context
        self.retainedContext = retained
    }

    /// Creates a client of `type` from `properties`, letting `configure` register callbacks.
    ///
    /// - Throws: ``KafkaError`` naming an invalid property, or librdkafka's reason when
    ///   the handle cannot be created.
    static func make(
        type: rd_kafka_type_t,
        properties: [String: String],
        logger: Logger,
        tracksDeliveredOffsets: Bool = false,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> RDKafkaClient {
        let conf = try RDKafkaConfig.make(properties)
        let context = RDKafkaClientContext(logger: logger, tracksDeliveredOffsets: tracksDeliveredOffsets)
        let retained = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        configure(conf)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            // rd_kafka_new frees the configuration only on success.
            rd_kafka_conf_destroy(conf)
            retained.release()
            throw KafkaError(.configuration, "cannot create Kafka client: \(String(cBuffer: errorBuffer))")
        }
        return RDKafkaClient(handle: handle, context: context, retained: retained)
    }

    /// The fatal error that made this client unusable, if one was raised.
    func fatalError() -> KafkaError? { KafkaError.fatalError(of: handle) }

    deinit {
        rd_kafka_destroy(handle)
        retainedContext.release()
    }
}
