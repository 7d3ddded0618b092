import Flowstate
import FlowstateKafka

/// A consumer group as its coordinator keeps it: members, generation, eager rebalances with
/// the `range` assignor, static membership, session expiry and committed offsets.
///
/// A rebalance completes only when every member has rejoined (after revoking everything it
/// owned) or was expired, so no partition ever has two owners in one generation.
final class SimulatedConsumerGroup {
    struct Member {
        var id: String
        var instanceID: String?
        var topics: [String]
        var lastHeartbeat: Int64
        /// Whether the member rejoined for the rebalance in progress.
        var joined: Bool
        /// The generation of ``assignment``.
        var generation: Int
        var assignment: [KafkaTopicPartition]
        /// Whether the member's client still heartbeats (its process is alive and not paused).
        var isAlive: () -> Bool
    }

    let id: String
    private(set) var generation = 0
    private(set) var rebalancing = false
    private(set) var members: [String: Member] = [:]
    /// Member ids replaced by a newer member with the same `group.instance.id`.
    private(set) var fencedMembers: Set<String> = []
    var committed: [KafkaTopicPartition: Int64] = [:]
    private var nextMember = 0

    init(id: String) { self.id = id }

    /// JoinGroup: a new member (or a static member replacing its previous incarnation).
    ///
    /// - Returns: The member id.
    func join(instanceID: String?, topics: [String], now: Int64, isAlive: @escaping () -> Bool,
              partitionCount: (String) -> Int) -> String {
        nextMember += 1
        let memberID = "\(instanceID ?? "member")-\(nextMember)"
        if let instanceID, var previous = members.values.first(where: { $0.instanceID == instanceID }) {
            // Static membership: the new incarnation takes the old one's place (and assignment)
            // without a rebalance; the old member id is fenced.
            members[previous.id] = nil
            fencedMembers.insert(previous.id)
            previous.id = memberID
            previous.lastHeartbeat = now
            previous.isAlive = isAlive
            previous.joined = true
            members[memberID] = previous
            completeRebalanceIfReady(partitionCount: partitionCount)
            return memberID
        }
        startRebalance()
        members[memberID] = Member(id: memberID, instanceID: instanceID, topics: topics, lastHeartbeat: now, joined: true,
                                   generation: -1, assignment: [], isAlive: isAlive)
        completeRebalanceIfReady(partitionCount: partitionCount)
        return memberID
    }

    /// The member rejoined for the rebalance in progress (after revoking its partitions).
    func rejoin(_ memberID: String, partitionCount: (String) -> Int) {
        members[memberID]?.joined = true
        completeRebalanceIfReady(partitionCount: partitionCount)
    }

    /// LeaveGroup (dynamic members on close).
    func leave(_ memberID: String, partitionCount: (String) -> Int) {
        guard members.removeValue(forKey: memberID) != nil else { return }
        startRebalance()
        completeRebalanceIfReady(partitionCount: partitionCount)
    }

    /// Heartbeats of live members; members silent for longer than `timeout` are removed.
    func expireSessions(now: Int64, timeout: Int64, partitionCount: (String) -> Int) {
        var expired = false
        for memberID in members.keys.sorted() {
            if members[memberID]!.isAlive() {
                members[memberID]!.lastHeartbeat = now
            } else if now - members[memberID]!.lastHeartbeat > timeout {
                members[memberID] = nil
                expired = true
            }
        }
        if expired {
            startRebalance()
            completeRebalanceIfReady(partitionCount: partitionCount)
        }
    }

    /// Checks that a member of the current generation makes a commit.
    ///
    /// - Throws: ``KafkaError`` `.transactionAbortable` (`FENCED_INSTANCE_ID`, `UNKNOWN_MEMBER_ID`
    ///   or `ILLEGAL_GENERATION`), which a transactional producer must answer with an abort.
    func checkMember(_ memberID: String, generation: Int) throws(KafkaError) {
        if fencedMembers.contains(memberID) {
            throw KafkaError(.transactionAbortable, "FENCED_INSTANCE_ID: member \(memberID) of \(id) was replaced")
        }
        guard members[memberID] != nil else {
            throw KafkaError(.transactionAbortable, "UNKNOWN_MEMBER_ID: \(memberID) is not a member of \(id)")
        }
        guard generation == self.generation else {
            throw KafkaError(.transactionAbortable,
                             "ILLEGAL_GENERATION: generation \(generation) of \(memberID) is not \(self.generation) in \(id)")
        }
    }

    private func startRebalance() {
        rebalancing = true
        for memberID in members.keys { members[memberID]!.joined = false }
    }

    private func completeRebalanceIfReady(partitionCount: (String) -> Int) {
        guard rebalancing, members.values.allSatisfy(\.joined) else { return }
        generation += 1
        rebalancing = false
        let assignments = Self.rangeAssignment(members: Array(members.values), partitionCount: partitionCount)
        for memberID in members.keys {
            members[memberID]!.assignment = assignments[memberID] ?? []
            members[memberID]!.generation = generation
        }
    }

    /// Kafka's `range` assignor: per topic, members sorted by instance id (else member id) get
    /// consecutive ranges, the first ones one partition more; so partition *p* of co-partitioned
    /// topics lands on the same member.
    static func rangeAssignment(members: [Member], partitionCount: (String) -> Int) -> [String: [KafkaTopicPartition]] {
        var result: [String: [KafkaTopicPartition]] = [:]
        let topics = Set(members.flatMap(\.topics)).sorted()
        for topic in topics {
            let subscribers = members.filter { $0.topics.contains(topic) }.sorted { ($0.instanceID ?? $0.id) < ($1.instanceID ?? $1.id) }
            guard !subscribers.isEmpty else { continue }
            let count = partitionCount(topic)
            let share = count / subscribers.count, extra = count % subscribers.count
            var next = 0
            for (index, member) in subscribers.enumerated() {
                let size = share + (index < extra ? 1 : 0)
                result[member.id, default: []] += (next..<next + size).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
                next += size
            }
        }
        return result
    }
}
