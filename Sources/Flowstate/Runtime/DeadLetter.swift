import FlowstateKafka

/// Builds dead-letter records: the original key and value bytes, untouched, with the reason
/// and the record's origin in headers.
enum DeadLetter {
    static let reasonHeader = "flowstate.dlq.reason"
    static let stageHeader = "flowstate.dlq.stage"
    static let originHeader = "flowstate.dlq.origin"
    static let taskHeader = "flowstate.dlq.task"

    static func record(for record: KafkaConsumerRecord, topic: String, stage: String, reason: String,
                       task: TaskID) -> KafkaProducerRecord {
        var headers = record.headers
        headers.append(KafkaHeader(key: reasonHeader, string: reason))
        headers.append(KafkaHeader(key: stageHeader, string: stage))
        headers.append(KafkaHeader(key: originHeader, string: "\(record.topic):\(record.partition):\(record.offset)"))
        headers.append(KafkaHeader(key: taskHeader, string: "\(task)"))
        return KafkaProducerRecord(topic: topic, key: record.key, value: record.value, headers: headers,
                                   timestamp: record.timestamp >= 0 ? record.timestamp : nil)
    }
}
