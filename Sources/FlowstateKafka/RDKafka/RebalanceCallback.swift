internal import CRdKafka
import Logging
import Synchronization

/// What the rebalance callback needs: the listener (if any).
struct RebalanceState: Sendable {
    var listener: (any KafkaRebalanceListener)?
}

/// librdkafka's rebalance callback, run inside the consumer's poll or close.
///
/// Calls the listener *before* giving partitions up and *before* fetching starts on new
/// ones, then performs the (incremental, for cooperative protocols) assign or unassign.
func rdKafkaRebalanceCallback(_ handle: OpaquePointer?, _ code: rd_kafka_resp_err_t,
                              _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                              _ opaque: UnsafeMutableRawPointer?) {
    guard let handle, let partitions else { return }
    let context = RDKafkaClientContext.from(opaque)
    let listener = context?.rebalance.withLock { $0?.listener }
    let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
    let topicPartitions = RDKafkaTopicPartitionList.entries(of: partitions).map(\.0)
    var failure: KafkaError?
    switch code {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        let starts = listener?.partitionsAssigned(topicPartitions) ?? [:]
        for index in 0..<Int(partitions.pointee.cnt) {
            let element = partitions.pointee.elems[index]
            let key = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            if let start = starts[key] { partitions.pointee.elems[index].offset = start.rawValue }
        }
        if cooperative {
            failure = rd_kafka_incremental_assign(handle, partitions).map(KafkaError.consuming)
        } else {
            failure = rdKafkaFailure(rd_kafka_assign(handle, partitions))
        }
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        if rd_kafka_assignment_lost(handle) != 0 {
            listener?.partitionsLost(topicPartitions)
        } else {
            listener?.partitionsRevoked(topicPartitions)
        }
        if cooperative {
            failure = rd_kafka_incremental_unassign(handle, partitions).map(KafkaError.consuming)
        } else {
            failure = rdKafkaFailure(rd_kafka_assign(handle, nil))
        }
    default:
        context?.logger.error("Rebalance failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2str(code)))"])
        _ = rd_kafka_assign(handle, nil)
    }
    if let failure {
        context?.logger.error("Rebalance assignment failed", metadata: ["kafka.error": "\(failure)"])
    }
}

private func rdKafkaFailure(_ response: rd_kafka_resp_err_t) -> KafkaError? {
    response == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.response(response)
}
