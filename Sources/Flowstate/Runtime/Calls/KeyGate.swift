import FlowstateKafka

/// A task's keys with a call in flight, each with the records that arrived for it meanwhile,
/// in arrival (offset) order: they run once the key's call has finished and been applied.
final class KeyGate {
    private var queues: [String: [KafkaConsumerRecord]] = [:]
    /// Records waiting behind a held key.
    private(set) var queuedRecords = 0

    /// Whether `key` has a call in flight.
    func isHeld(_ key: String) -> Bool { queues[key] != nil }

    /// Holds `key` for a call that just started.
    func hold(_ key: String) {
        if queues[key] == nil { queues[key] = [] }
    }

    /// Queues `record` behind the held `key`.
    func enqueue(_ record: KafkaConsumerRecord, behind key: String) {
        queues[key, default: []].append(record)
        queuedRecords += 1
    }

    /// Takes the next record queued behind `key`, or releases the key when none is left.
    func next(_ key: String) -> KafkaConsumerRecord? {
        guard var queue = queues[key], !queue.isEmpty else {
            queues[key] = nil
            return nil
        }
        let record = queue.removeFirst()
        queues[key] = queue
        queuedRecords -= 1
        return record
    }

    /// Forgets every key and queued record (after an abort or when the task closes).
    func clear() {
        queues = [:]
        queuedRecords = 0
    }
}
