internal import CRdKafka
import Synchronization

/// The producer's `rd_kafka_topic_t` handles, one per topic name, created on first use and
/// destroyed with the producer.
///
/// Producing with a handle spares librdkafka a topic lookup (lock, name comparison,
/// reference count) and the C string per record that producing by name costs.
final class RDKafkaTopicHandles: Sendable {
    /// Keeps the `rd_kafka_t` alive until every topic handle is destroyed.
    private let client: RDKafkaClient
    private let handles = Mutex<[String: SendableOpaquePointer]>([:])

    init(client: RDKafkaClient) { self.client = client }

    /// The handle of `topic`, or `nil` when librdkafka refuses the name (the caller then
    /// produces by name, so the record fails with librdkafka's own error).
    func handle(for topic: String) -> OpaquePointer? {
        handles.withLock { handles -> OpaquePointer? in
            if let handle = handles[topic] { return handle.pointer }
            guard let handle = rd_kafka_topic_new(client.handle, topic, nil) else { return nil }
            handles[topic] = SendableOpaquePointer(handle)
            return handle
        }
    }

    deinit {
        // Records in flight hold their own references; this drops the application's.
        for handle in handles.withLock({ $0.values }) { rd_kafka_topic_destroy(handle.pointer) }
    }
}
