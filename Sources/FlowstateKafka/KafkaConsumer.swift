internal import CRdKafka
public import Logging
import Synchronization

/// A Kafka consumer: consumer-group subscription or manual assignment, batched polls,
/// pause/resume, seek, positions and offsets, and group metadata for transactions.
///
/// Offsets are committed only when the caller says so (``commit(_:)``) or through a
/// transaction. Rebalances call the ``KafkaRebalanceListener`` synchronously inside
/// ``poll(maxRecords:timeout:)``, so revoked work can be committed before partitions move.
///
/// - Important: The synchronous methods block; call them from a dedicated thread (a stream
///   thread). The `async` overloads run them off the cooperative pool. Only one thread may
///   poll a consumer at a time.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let queue: SendableOpaquePointer
    private let closed = Atomic<Bool>(false)
    private let blocking: BlockingExecutor
    /// The consumer group id.
    public let groupID: String

    /// Creates a consumer; nothing is fetched until ``subscribe(topics:listener:)`` or ``assign(_:)``.
    ///
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/configuration`` naming an invalid property.
    public init(config: KafkaConsumerConfig,
                logger: Logger = Logger(label: "flowstate.kafka", factory: { _ in SwiftLogNoOpLogHandler() })) throws(KafkaError) {
        let properties = try config.properties()
        client = try RDKafkaClient.make(type: RD_KAFKA_CONSUMER, properties: properties, logger: logger) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        }
        rd_kafka_poll_set_consumer(client.handle)
        queue = SendableOpaquePointer(rd_kafka_queue_get_consumer(client.handle))
        groupID = config.groupID
        blocking = BlockingExecutor(label: "flowstate.kafka.consumer.\(config.groupID)")
    }

    deinit {
        client.context.rebalance.withLock { $0 = nil }
        rd_kafka_queue_destroy(queue.pointer)
    }

    // MARK: - Subscription and assignment

    /// Joins the consumer group and subscribes to `topics`.
    ///
    /// - Parameters:
    ///   - topics: Topic names.
    ///   - listener: Told of assignments and revocations inside ``poll(maxRecords:timeout:)``.
    /// - Throws: ``KafkaError``.
    public func subscribe(topics: [String], listener: (any KafkaRebalanceListener)? = nil) throws(KafkaError) {
        try ensureOpen()
        client.context.rebalance.withLock { $0 = RebalanceState(listener: listener) }
        let list = RDKafkaTopicPartitionList()
        for topic in topics { list.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA), offset: .invalid) }
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_subscribe(client.handle, pointer), "subscribe to \(topics)")
        }
    }

    /// Assigns partitions directly (no group membership), starting at the given offsets.
    ///
    /// - Throws: ``KafkaError``.
    public func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_assign(client.handle, pointer), "assign \(partitions.keys.sorted())")
        }
    }

    /// The partitions currently assigned to this consumer.
    ///
    /// - Throws: ``KafkaError``.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        try ensureOpen()
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(client.handle, &list), "assignment")
        guard let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaTopicPartitionList.entries(of: list).map(\.0).sorted()
    }

    // MARK: - Polling

    /// Waits up to `timeout` for records and returns at most `maxRecords` of them.
    ///
    /// Rebalance callbacks run inside this call. Returns an empty array on timeout.
    ///
    /// - Throws: ``KafkaError`` on a fatal consumer error or when closed.
    public func poll(maxRecords: Int = 1000, timeout: Duration) throws(KafkaError) -> [KafkaConsumerRecord] {
        try ensureOpen()
        let capacity = max(1, maxRecords)
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
        defer { messages.deallocate() }
        let count = rd_kafka_consume_batch_queue(queue.pointer, milliseconds(timeout), messages, capacity)
        guard count >= 0 else {
            throw KafkaError.response(rd_kafka_last_error(), context: "poll")
        }
        var records: [KafkaConsumerRecord] = []
        records.reserveCapacity(count)
        var lastTopic: (OpaquePointer, String)?
        var firstError: KafkaError?
        for index in 0..<count {
            guard let message = messages[index] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let record = message.pointee
            if record.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if record.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                let error = KafkaError.response(record.err, context: "consume")
                client.context.logger.warning("Consumer error", metadata: ["kafka.error": "\(error)"])
                if firstError == nil { firstError = error }
                continue
            }
            let topic: String
            if let lastTopic, let rkt = record.rkt, lastTopic.0 == rkt {
                topic = lastTopic.1
            } else {
                topic = String(cString: rd_kafka_topic_name(record.rkt))
                if let rkt = record.rkt { lastTopic = (rkt, topic) }
            }
            records.append(KafkaConsumerRecord(
                topic: topic, partition: record.partition, offset: record.offset,
                key: record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) },
                value: record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) },
                headers: Self.headers(of: message),
                timestamp: rd_kafka_message_timestamp(message, nil)))
        }
        if records.isEmpty, let fatal = client.fatalError() { throw fatal }
        if records.isEmpty, let firstError, firstError.isFatal { throw firstError }
        return records
    }

    /// Async form of ``poll(maxRecords:timeout:)``; blocks a dedicated queue, not the pool.
    public func poll(maxRecords: Int = 1000, timeout: Duration) async throws(KafkaError) -> [KafkaConsumerRecord] {
        try await blocking.run { () throws(KafkaError) in try self.poll(maxRecords: maxRecords, timeout: timeout) }
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return [] }
        var result: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return result
    }

    // MARK: - Flow control and positions

    /// Stops fetching from `partitions` until ``resume(_:)``.
    ///
    /// - Throws: ``KafkaError``.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions: partitions)
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_pause_partitions(client.handle, pointer), "pause")
        }
    }

    /// Resumes fetching from paused `partitions`.
    ///
    /// - Throws: ``KafkaError``.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions: partitions)
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_resume_partitions(client.handle, pointer), "resume")
        }
    }

    /// Moves the fetch positions of assigned partitions.
    ///
    /// - Throws: ``KafkaError``, e.g. when a partition is not assigned.
    public func seek(_ offsets: [KafkaTopicPartition: KafkaOffset], timeout: Duration = .seconds(10)) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_seek_partitions(client.handle, pointer, milliseconds(timeout)))
            for (partition, _, code) in RDKafkaTopicPartitionList.entries(of: pointer) {
                try KafkaError.check(code, "seek \(partition)")
            }
        }
    }

    /// The next offset this consumer will read, per partition (``KafkaOffset/invalid`` if unknown).
    ///
    /// - Throws: ``KafkaError``.
    public func position(_ partitions: [KafkaTopicPartition]) throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions: partitions)
        return try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_position(client.handle, pointer), "position")
            return Self.offsets(of: pointer)
        }
    }

    /// The group's committed offsets, per partition (``KafkaOffset/invalid`` where none).
    ///
    /// - Throws: ``KafkaError``.
    public func committed(_ partitions: [KafkaTopicPartition],
                          timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        try committedOffsets(partitions, timeout: timeout).mapValues(\.offset)
    }

    /// The group's committed offsets with the metadata committed with them, per partition
    /// (``KafkaOffset/invalid`` and no metadata where nothing is committed).
    ///
    /// - Throws: ``KafkaError``.
    public func committedOffsets(_ partitions: [KafkaTopicPartition],
                                 timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicPartition: KafkaCommittedOffset] {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions: partitions)
        return try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_committed(client.handle, pointer, milliseconds(timeout)), "committed offsets")
            return RDKafkaTopicPartitionList.committedOffsets(of: pointer)
        }
    }

    /// Async form of ``committed(_:timeout:)``.
    public func committed(_ partitions: [KafkaTopicPartition],
                          timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        try await blocking.run { () throws(KafkaError) in try self.committed(partitions, timeout: timeout) }
    }

    /// The low (first) and high (next to be written) offsets of a partition, asked of the broker.
    ///
    /// With read_committed, the high offset is the last stable offset.
    /// - Throws: ``KafkaError``.
    public func watermarks(of partition: KafkaTopicPartition,
                           timeout: Duration = .seconds(10)) throws(KafkaError) -> (low: Int64, high: Int64) {
        try ensureOpen()
        var low: Int64 = 0
        var high: Int64 = 0
        try KafkaError.check(rd_kafka_query_watermark_offsets(client.handle, partition.topic, partition.partition,
                                                              &low, &high, milliseconds(timeout)),
                             "watermarks of \(partition)")
        return (low, high)
    }

    // MARK: - Committing

    /// Commits offsets (the next offset to read, per partition) for the group, synchronously.
    ///
    /// - Throws: ``KafkaError``, e.g. when the member was fenced by a rebalance.
    public func commit(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws(KafkaError) {
        try commit(offsets.mapValues { KafkaCommittedOffset($0) })
    }

    /// Commits offsets with metadata for the group, synchronously.
    ///
    /// - Throws: ``KafkaError``, e.g. when the member was fenced by a rebalance.
    public func commit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws(KafkaError) {
        try commit(offsets, asynchronously: false)
    }

    private func commit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset], asynchronously: Bool) throws(KafkaError) {
        try ensureOpen()
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(committing: offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        try list.withListPointer { pointer throws(KafkaError) in
            try KafkaError.check(rd_kafka_commit(client.handle, pointer, asynchronously ? 1 : 0), "commit")
        }
    }

    /// Starts committing offsets for the group without waiting for the broker's answer.
    ///
    /// Commits from one consumer reach the coordinator in the order they were started, and
    /// closing the consumer waits for those still outstanding. Their outcome is not reported:
    /// use it only where a lost commit is harmless (e.g. mirroring offsets a transaction
    /// already committed).
    ///
    /// - Throws: ``KafkaError`` when the commit cannot be started (e.g. the consumer is closed).
    public func startCommit(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws(KafkaError) {
        try startCommit(offsets.mapValues { KafkaCommittedOffset($0) })
    }

    /// Starts committing offsets with metadata without waiting for the broker's answer; see
    /// ``startCommit(_:)-(KafkaTopicPartition:KafkaOffset)``.
    ///
    /// - Throws: ``KafkaError`` when the commit cannot be started (e.g. the consumer is closed).
    public func startCommit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws(KafkaError) {
        try commit(offsets, asynchronously: true)
    }

    /// Async form of ``commit(_:)``.
    public func commit(_ offsets: [KafkaTopicPartition: KafkaOffset]) async throws(KafkaError) {
        try await blocking.run { () throws(KafkaError) in try self.commit(offsets) }
    }

    /// The consumer's current group metadata, for transactional offset commits.
    ///
    /// - Throws: ``KafkaError`` when the consumer has no group.
    public func groupMetadata() throws(KafkaError) -> KafkaConsumerGroupMetadata {
        try ensureOpen()
        guard let metadata = rd_kafka_consumer_group_metadata(client.handle) else {
            throw KafkaError(.invalidArgument, "consumer has no group metadata")
        }
        return KafkaConsumerGroupMetadata(metadata)
    }

    // MARK: - Closing

    /// Leaves the group (revoking partitions through the listener) and stops fetching. Idempotent.
    ///
    /// - Throws: ``KafkaError`` if leaving the group failed.
    public func close() throws(KafkaError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try KafkaError.check(rd_kafka_consumer_close(client.handle), "close consumer")
    }

    /// Async form of ``close()``.
    public func close() async throws(KafkaError) {
        try await blocking.run { () throws(KafkaError) in try self.close() }
    }

    private func ensureOpen() throws(KafkaError) {
        if closed.load(ordering: .relaxed) { throw KafkaError(.closed, "the consumer is closed") }
    }

    private static func offsets(
        of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [KafkaTopicPartition: KafkaOffset] {
        Dictionary(RDKafkaTopicPartitionList.entries(of: list).map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
    }
}
