import FlowstateKafka
import Logging

/// Assigned partitions whose task this member does not hold whole, and the pauses that
/// outlive an assignment.
///
/// A task reads partition *p* of each source topic of its sub-topology, and the `range`
/// assignor gives a member partition *p* of every topic it subscribes to *that other members
/// subscribe to as well*. Members that subscribe to different topics — a rolling upgrade that
/// adds a state machine status (a topic) while pods of the old version still run — therefore
/// split a task: the new topic's partitions all go to new pods, the old topics' are shared.
/// Running such a fragment would give one task two owners (two stores, two sets of commits), so
/// the stream thread opens a task only when it holds every source partition of it, and leaves
/// the rest idle: paused, never processed, never committed. The fragment's records wait in
/// Kafka for the member that gets the whole task — once the old pods are gone, the next
/// rebalance assigns every topic alike.
///
/// librdkafka keeps a partition paused across revocations and assignments, so every partition
/// the thread pauses (idle here, or held back by back-pressure) is remembered until it is
/// resumed, and resumed when a whole task of this member reads it again.
struct IncompleteTasks {
    /// Idle partitions of the current assignment.
    private(set) var idle: Set<KafkaTopicPartition> = []
    /// Partitions librdkafka holds paused at the thread's request.
    private var paused: Set<KafkaTopicPartition> = []
    private var toPause: Set<KafkaTopicPartition> = []
    private var toResume: Set<KafkaTopicPartition> = []

    /// Records an assignment (the member's whole assignment, as the eager `range` protocol
    /// hands it over) and returns, in order, the tasks held whole; every other assigned partition
    /// becomes idle.
    mutating func update(assigned: Set<KafkaTopicPartition>, topology: Topology, logger: Logger) -> [TaskID] {
        idle = []
        toPause = []
        toResume = []
        var whole: [TaskID] = []
        var fragments: [TaskID: [KafkaTopicPartition]] = [:]
        for partition in assigned {
            guard let subtopology = topology.subtopology(readingTopic: partition.topic) else { continue }
            fragments[TaskID(subtopology: subtopology.id, partition: partition.partition), default: []].append(partition)
        }
        for (id, held) in fragments.sorted(by: { $0.key < $1.key }) {
            let needed = topology.subtopologies[id.subtopology].sourceTopics.map {
                KafkaTopicPartition(topic: $0, partition: id.partition)
            }
            if needed.allSatisfy(assigned.contains) {
                whole.append(id)
                toResume.formUnion(needed.filter(paused.contains))
                continue
            }
            let missing = needed.filter { !assigned.contains($0) }
            logger.warning("Task assigned in part; its partitions stay idle until a member holds it whole", metadata: [
                "flowstate.task": "\(id)", "flowstate.held": "\(held.map(\.description).sorted())",
                "flowstate.missing": "\(missing.map(\.description))",
                "flowstate.hint": "members subscribe to different topics (a rolling upgrade that adds a source topic?)"])
            idle.formUnion(held)
            toPause.formUnion(held.filter { !paused.contains($0) })
        }
        return whole
    }

    /// Partitions to pause and to resume now that the assignment applies (each returned once,
    /// and recorded as done).
    mutating func takeChanges() -> (pause: [KafkaTopicPartition], resume: [KafkaTopicPartition]) {
        guard !toPause.isEmpty || !toResume.isEmpty else { return ([], []) }
        let order: (KafkaTopicPartition, KafkaTopicPartition) -> Bool = { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        let changes = (toPause.sorted(by: order), toResume.sorted(by: order))
        paused.formUnion(toPause)
        paused.subtract(toResume)
        toPause = []
        toResume = []
        return changes
    }

    /// Records partitions the thread paused or resumed itself (back-pressure).
    mutating func record(paused newlyPaused: some Sequence<KafkaTopicPartition>) { paused.formUnion(newlyPaused) }
    mutating func record(resumed: some Sequence<KafkaTopicPartition>) { paused.subtract(resumed) }

    /// Forgets revoked partitions as idle (librdkafka still holds them paused).
    mutating func revoke(_ revoked: Set<KafkaTopicPartition>) {
        idle.subtract(revoked)
        toPause.subtract(revoked)
        toResume.subtract(revoked)
    }
}
