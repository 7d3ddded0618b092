import Flowstate
import FlowstateKafka
@testable import FlowstateTesting
import Testing

/// The simulated broker keeps the Kafka semantics the embedded broker lacks.
@Suite struct SimulatedKafkaTests {
    let kafka: SimulatedKafka
    let process = SimulatedProcess(instance: 0)

    init() throws {
        kafka = SimulatedKafka(clock: SimulatedClock(), random: SimulationRandom(seed: 7), sessionTimeout: 1_000,
                               transactionTimeout: 5_000)
        try kafka.createTopic("in", partitions: 2)
        try kafka.createTopic("out", partitions: 1)
    }

    private func producer(_ id: String?) throws -> any StreamProducer {
        let producer = try SimulatedClients(kafka: kafka, process: process, retryChance: 0)
            .makeProducer(transactionalID: id, clientID: "test")
        try producer.initTransactions()
        return producer
    }

    private func record(_ value: String) -> KafkaProducerRecord {
        KafkaProducerRecord(topic: "out", partition: 0, key: "k", value: value)
    }

    private func values(_ topic: String) -> [String] { kafka.readCommitted(topic).compactMap(\.valueString) }

    @Test func readCommittedHidesAbortedAndOpenTransactions() throws {
        let first = try producer("a")
        try first.beginTransaction()
        try first.send(record("aborted"))
        try first.abortTransaction()
        try first.beginTransaction()
        try first.send(record("committed"))
        try first.commitTransaction()
        try first.beginTransaction()
        try first.send(record("open"))
        #expect(values("out") == ["committed"])
        // Two records, two markers and the open record: the last stable offset stops before it.
        let offsets = try #require(kafka.offsets(of: KafkaTopicPartition(topic: "out", partition: 0)))
        #expect(offsets.stable == 4)
        #expect(offsets.end == 5)
    }

    @Test func initTransactionsFencesTheOlderEpochAndAbortsItsTransaction() throws {
        let zombie = try producer("a")
        try zombie.beginTransaction()
        try zombie.send(record("zombie"))
        let successor = try producer("a")
        #expect(throws: KafkaError.self) { try zombie.commitTransaction() }
        try successor.beginTransaction()
        try successor.send(record("successor"))
        try successor.commitTransaction()
        #expect(values("out") == ["successor"])
    }

    @Test func transactionalOffsetsCountOnlyOnCommit() throws {
        let consumer = try SimulatedClients(kafka: kafka, process: process).makeConsumer(groupID: "g", groupInstanceID: "i",
                                                                                         clientID: "c")
        let listener = RecordingListener()
        try consumer.subscribe(topics: ["in"], listener: listener)
        _ = try consumer.poll(maxRecords: 10, timeout: .milliseconds(10))
        #expect(listener.assigned.count == 2)
        let partition = KafkaTopicPartition(topic: "in", partition: 0)
        let producer = try producer("t")
        try producer.beginTransaction()
        try producer.send(record("x"))
        try producer.sendOffsetsToTransaction([partition: KafkaOffset(5)], groupMetadata: consumer.groupMetadata())
        #expect(kafka.committedOffsets(group: "g")[partition] == nil)
        try producer.abortTransaction()
        #expect(kafka.committedOffsets(group: "g")[partition] == nil)
        try producer.beginTransaction()
        try producer.sendOffsetsToTransaction([partition: KafkaOffset(7)], groupMetadata: consumer.groupMetadata())
        try producer.commitTransaction()
        #expect(kafka.committedOffsets(group: "g")[partition] == 7)
    }

    @Test func anExpiredMemberCannotAddOffsetsToATransaction() throws {
        let consumer = try SimulatedClients(kafka: kafka, process: process).makeConsumer(groupID: "g", groupInstanceID: "i",
                                                                                         clientID: "c")
        try consumer.subscribe(topics: ["in"], listener: RecordingListener())
        _ = try consumer.poll(maxRecords: 10, timeout: .milliseconds(10))
        let metadata = try consumer.groupMetadata()
        process.status = .paused
        kafka.advance(by: 2_000)
        let producer = try producer("t")
        try producer.beginTransaction()
        let error = #expect(throws: KafkaError.self) {
            try producer.sendOffsetsToTransaction([KafkaTopicPartition(topic: "in", partition: 0): KafkaOffset(1)],
                                                  groupMetadata: metadata)
        }
        #expect(error?.code == .transactionAbortable)
    }

    @Test func rangeAssignmentGivesCoPartitionedTopicsToTheSameMember() {
        func member(_ id: String) -> SimulatedConsumerGroup.Member {
            .init(id: id, instanceID: id, topics: ["a", "b"], lastHeartbeat: 0, joined: true, generation: 0, assignment: [],
                  isAlive: { true })
        }
        let assignment = SimulatedConsumerGroup.rangeAssignment(members: [member("y"), member("x")], partitionCount: { _ in 3 })
        #expect(assignment["x"]?.map(\.description) == ["a-0", "a-1", "b-0", "b-1"])
        #expect(assignment["y"]?.map(\.description) == ["a-2", "b-2"])
    }

    @Test func compactionKeepsTheNewestCommittedValuePerKey() throws {
        try kafka.createTopic("log", partitions: 1, compacted: true)
        let producer = try producer("c")
        for value in ["1", "2"] {
            try producer.beginTransaction()
            try producer.send(KafkaProducerRecord(topic: "log", partition: 0, key: "k", value: value))
            try producer.commitTransaction()
        }
        try producer.beginTransaction()
        try producer.send(KafkaProducerRecord(topic: "log", partition: 0, key: "k", value: "aborted"))
        try producer.abortTransaction()
        kafka.compactAll()
        #expect(values("log") == ["2"])
        #expect(kafka.readCommitted("log").first?.offset == 2)
    }

    @Test func aTransactionOpenTooLongIsAbortedAndItsProducerFenced() throws {
        let producer = try producer("slow")
        try producer.beginTransaction()
        try producer.send(record("late"))
        kafka.advance(by: 6_000)
        let error = #expect(throws: KafkaError.self) { try producer.commitTransaction() }
        #expect(error?.code == .fenced)
        #expect(values("out").isEmpty)
        #expect(!kafka.hasOpenTransactions)
    }
}

/// Records the partitions a consumer's rebalances hand over.
final class RecordingListener: KafkaRebalanceListener, @unchecked Sendable {
    var assigned: [KafkaTopicPartition] = []
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset] {
        assigned += partitions
        return [:]
    }
    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) {}
}
