import Flowstate
import FlowstateKafka

/// A consumer of a ``SimulatedKafka``: group subscription with eager rebalances and listener
/// callbacks inside ``poll(maxRecords:timeout:)``, or manual assignment; read_committed fetches.
///
/// A poll that finds nothing waits its timeout in simulated time.
final class SimulatedConsumer: StreamConsumer {
    let kafka: SimulatedKafka
    let groupID: String
    let instanceID: String?
    let process: SimulatedProcess
    private var listener: (any KafkaRebalanceListener)?
    private var topics: [String] = []
    private var memberID: String?
    /// The generation of the assignment held.
    private var generation = -1
    private var assignment: [KafkaTopicPartition] = []
    private var positions: [KafkaTopicPartition: Int64] = [:]
    private var isClosed = false
    private var fetchCursor = 0
    /// Partitions not fetched from until resumed (an assignment change clears it, as in librdkafka).
    private var paused: Set<KafkaTopicPartition> = []

    init(kafka: SimulatedKafka, groupID: String, instanceID: String?, process: SimulatedProcess) {
        self.kafka = kafka
        self.groupID = groupID
        self.instanceID = instanceID
        self.process = process
    }

    var isHeartbeating: Bool { !isClosed && process.isHeartbeating }

    private func ensureUsable() throws {
        try process.ensureAlive()
        if isClosed { throw KafkaError(.closed, "consumer of \(groupID) is closed") }
    }

    func subscribe(topics: [String], listener: any KafkaRebalanceListener) throws {
        try ensureUsable()
        self.topics = topics.sorted()
        self.listener = listener
    }

    func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws {
        try ensureUsable()
        assignment = partitions.keys.sorted()
        positions = [:]
        for (partition, offset) in partitions { positions[partition] = try resolve(offset, partition) }
    }

    func poll(maxRecords: Int, timeout: Duration) throws -> [KafkaConsumerRecord] {
        try ensureUsable()
        try coordinate()
        let records = try fetch(limit: maxRecords)
        if records.isEmpty {
            let (seconds, attoseconds) = timeout.components
            kafka.advance(by: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        }
        return records
    }

    func seek(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws {
        try ensureUsable()
        for (partition, offset) in offsets where assignment.contains(partition) {
            positions[partition] = try resolve(offset, partition)
        }
    }

    func pause(_ partitions: [KafkaTopicPartition]) throws {
        try ensureUsable()
        paused.formUnion(partitions)
    }

    func resume(_ partitions: [KafkaTopicPartition]) throws {
        try ensureUsable()
        paused.subtract(partitions)
    }

    func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaOffset] {
        try ensureUsable()
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0, positions[$0].map { KafkaOffset($0) } ?? .invalid) })
    }

    /// Committed offsets; the simulated group keeps no metadata (the simulated broker has Kafka's
    /// transaction semantics, so the runtime never needs it here).
    func committed(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaCommittedOffset] {
        try ensureUsable()
        // read_committed consumers ask for stable offsets (KIP-447): while a transaction holds
        // offsets for these partitions the broker answers UNSTABLE_OFFSET_COMMIT and librdkafka
        // retries, up to the call's timeout (10 s).
        var waited: Int64 = 0
        while kafka.hasPendingOffsets(group: groupID, partitions: partitions) {
            guard waited < 10_000 else {
                throw KafkaError(.timedOut, "committed offsets of \(groupID) stayed unstable for 10 s (a transaction holds them)")
            }
            kafka.advance(by: 100)
            waited += 100
            try ensureUsable()
        }
        let committed = kafka.committedOffsets(group: groupID)
        return Dictionary(uniqueKeysWithValues: partitions.map {
            ($0, KafkaCommittedOffset(committed[$0].map { KafkaOffset($0) } ?? .invalid))
        })
    }

    func commit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws {
        try ensureUsable()
        guard !offsets.isEmpty else { return }
        let group = kafka.group(groupID)
        do {
            try group.checkMember(memberID ?? "", generation: generation)
        } catch {
            throw KafkaError(.broker, "offset commit rejected: \(error.message)")
        }
        for (partition, committed) in offsets { group.committed[partition] = committed.offset.rawValue }
    }

    /// The simulated broker answers at once, so a started commit is complete when this returns.
    func startCommit(_ offsets: [KafkaTopicPartition: KafkaCommittedOffset]) throws { try commit(offsets) }

    func watermarks(of partition: KafkaTopicPartition) throws -> (low: Int64, high: Int64) {
        try ensureUsable()
        // read_committed: ListOffsets answers the last stable offset as the latest offset.
        let log = try kafka.log(partition)
        return (log.startOffset, log.lastStableOffset)
    }

    func logEndOffset(of partition: KafkaTopicPartition) throws -> Int64 {
        try ensureUsable()
        return try kafka.log(partition).endOffset
    }

    func groupMetadata() throws -> StreamGroupMetadata {
        try ensureUsable()
        return StreamGroupMetadata(kafka: nil, groupID: groupID, generation: generation, memberID: memberID ?? "")
    }

    func close() throws {
        try process.ensureAlive()
        guard !isClosed else { return }
        isClosed = true
        // Static members keep their place until the session times out; dynamic ones leave.
        if instanceID == nil, let memberID { kafka.group(groupID).leave(memberID, partitionCount: kafka.partitionCountOrZero) }
    }

    // MARK: - Group protocol

    /// Joins, revokes before rejoining, takes new assignments; calls the listener for each.
    private func coordinate() throws {
        guard !topics.isEmpty, let listener else { return }
        let group = kafka.group(groupID)
        if let memberID, group.fencedMembers.contains(memberID) {
            throw KafkaError(.fatal, "FENCED_INSTANCE_ID: another consumer joined \(groupID) as \(instanceID ?? memberID)")
        }
        if let current = memberID, group.members[current] == nil {
            // Our session expired: another member may own our partitions already.
            memberID = nil
            let lost = assignment
            dropAssignment()
            if !lost.isEmpty {
                listener.partitionsLost(lost)
                try ensureUsable()
            }
        }
        if memberID == nil {
            memberID = group.join(instanceID: instanceID, topics: topics, now: kafka.clock.now,
                                  isAlive: { [weak self] in self?.isHeartbeating ?? false },
                                  partitionCount: kafka.partitionCountOrZero)
        }
        guard let memberID, let member = group.members[memberID] else { return }
        if group.rebalancing, !member.joined {
            // Eager protocol: give everything up (the listener commits it) before rejoining.
            let revoked = assignment
            if !revoked.isEmpty {
                listener.partitionsRevoked(revoked)
                try ensureUsable()
            }
            dropAssignment()
            guard group.members[memberID] != nil else { return }
            group.rejoin(memberID, partitionCount: kafka.partitionCountOrZero)
        }
        guard let member = group.members[memberID], !group.rebalancing, member.generation == group.generation,
              generation != group.generation else { return }
        generation = group.generation
        paused = []
        assignment = member.assignment.sorted()
        positions = [:]
        let overrides = listener.partitionsAssigned(assignment)
        try ensureUsable()
        let committed = group.committed
        for partition in assignment {
            if let override = overrides[partition], override.isConcrete || override == .beginning || override == .end {
                positions[partition] = try resolve(override, partition)
            } else if let offset = committed[partition] {
                positions[partition] = offset
            } else {
                positions[partition] = try kafka.log(partition).startOffset  // auto.offset.reset=earliest
            }
        }
    }

    private func dropAssignment() {
        paused = []
        assignment = []
        positions = [:]
        generation = -1
    }

    private func resolve(_ offset: KafkaOffset, _ partition: KafkaTopicPartition) throws -> Int64 {
        let log = try kafka.log(partition)
        switch offset {
        case .beginning: return log.startOffset
        case .end: return log.endOffset
        case .stored, .invalid: return kafka.committedOffsets(group: groupID)[partition] ?? log.startOffset
        default: return offset.rawValue
        }
    }

    /// Fetches from the assigned partitions in turn, at most a random share of `limit`.
    private func fetch(limit: Int) throws -> [KafkaConsumerRecord] {
        let partitions = assignment.filter { positions[$0] != nil && !paused.contains($0) }
        guard !partitions.isEmpty, limit > 0 else { return [] }
        let budget = Int.random(in: 1...limit, using: &kafka.random)
        var records: [KafkaConsumerRecord] = []
        fetchCursor += 1
        for index in 0..<partitions.count where records.count < budget {
            let partition = partitions[(index + fetchCursor) % partitions.count]
            let log = try kafka.log(partition)
            let (batch, next) = log.readCommitted(from: positions[partition]!, limit: budget - records.count,
                                                  isCommitted: kafka.isCommitted)
            records += batch
            positions[partition] = next
        }
        return records
    }
}
