internal import CRdKafka

/// Builds an `rd_kafka_conf_t` from a property dictionary.
///
/// The returned pointer is owned by the caller until `rd_kafka_new` succeeds (which takes
/// it); on failure the caller destroys it with `rd_kafka_conf_destroy`.
enum RDKafkaConfig {
    /// Creates a configuration with every property set, in key order.
    ///
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/configuration`` naming the
    ///   first unknown property or invalid value, with librdkafka's message.
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(cBuffer: errorBuffer)
                throw KafkaError(.configuration, "invalid property \(key)=\(value): \(reason)", property: key)
            }
        }
        return conf
    }
}
