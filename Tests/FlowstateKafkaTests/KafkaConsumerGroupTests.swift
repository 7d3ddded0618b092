import FlowstateKafka
import Foundation
import Synchronization
import Testing

/// Records the listener's calls, for assertions.
final class RecordingListener: KafkaRebalanceListener {
    let assigned = Mutex<[KafkaTopicPartition]>([])
    let revoked = Mutex<[KafkaTopicPartition]>([])
    let startOffsets: [KafkaTopicPartition: KafkaOffset]

    init(startOffsets: [KafkaTopicPartition: KafkaOffset] = [:]) { self.startOffsets = startOffsets }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset] {
        assigned.withLock { $0 += partitions }
        return startOffsets
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) {
        revoked.withLock { $0 += partitions }
    }
}

@Suite(.timeLimit(.minutes(3)))
struct KafkaConsumerGroupTests {
    @Test(arguments: [KafkaAssignmentStrategy.range, .cooperativeSticky])
    func twoMembersSplitFourPartitionsAndTheSurvivorTakesAllWhenOneCloses(strategy: KafkaAssignmentStrategy) async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("split", partitions: 4)
        let group = "split-\(UUID())"
        let first = try KafkaConsumer(config: cluster.consumerConfig(group: group, strategy: strategy))
        let second = try KafkaConsumer(config: cluster.consumerConfig(group: group, strategy: strategy))
        let firstListener = RecordingListener()
        let secondListener = RecordingListener()
        try first.subscribe(topics: [topic], listener: firstListener)
        try second.subscribe(topics: [topic], listener: secondListener)

        let split = try await poll([first, second], until: {
            try first.assignment().count == 2 && second.assignment().count == 2
        }, timeout: .seconds(60))
        let layout = "\(try first.assignment()) and \(try second.assignment())"
        #expect(split, "expected 2+2, got \(layout)")
        let union = Set(try first.assignment() + second.assignment())
        #expect(union.count == 4)

        try await second.close()
        #expect(!secondListener.revoked.withLock { $0 }.isEmpty, "closing revokes through the listener")
        let tookOver = try await poll([first], until: { try first.assignment().count == 4 }, timeout: .seconds(60))
        let survivorAssignment = try first.assignment()
        #expect(tookOver, "survivor has \(survivorAssignment)")
        #expect(Set(firstListener.assigned.withLock { $0 }).count == 4)
        try await first.close()
    }

    @Test func listenerStartOffsetsOverrideTheCommittedPosition() async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("start", partitions: 1)
        let producer = try KafkaProducer(config: cluster.producerConfig())
        for index in 0..<10 { try producer.produce(KafkaProducerRecord(topic: topic, key: "k", value: "\(index)")) }
        try await producer.flush()
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let consumer = try KafkaConsumer(config: cluster.consumerConfig(group: "start-\(UUID())"))
        try consumer.subscribe(topics: [topic], listener: RecordingListener(startOffsets: [partition: KafkaOffset(7)]))
        let records = try await consume(consumer, count: 3)
        #expect(records.map(\.offset) == [7, 8, 9])
        try await consumer.close()
    }

    @Test func commitPositionPauseResumeAndSeek() async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("positions", partitions: 1)
        let producer = try KafkaProducer(config: cluster.producerConfig())
        for index in 0..<20 { try producer.produce(KafkaProducerRecord(topic: topic, key: "k", value: "\(index)")) }
        try await producer.flush()
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let group = "positions-\(UUID())"
        let consumer = try KafkaConsumer(config: cluster.consumerConfig(group: group))
        try consumer.assign([partition: .beginning])
        let all = try await consume(consumer, count: 20)
        #expect(all.count == 20)
        #expect(try consumer.position([partition])[partition] == KafkaOffset(20))
        #expect(try consumer.watermarks(of: partition) == (low: 0, high: 20))

        try await consumer.commit([partition: KafkaOffset(12)])
        #expect(try await consumer.committed([partition])[partition] == KafkaOffset(12))
        #expect(try consumer.committedOffsets([partition])[partition] == KafkaCommittedOffset(KafkaOffset(12)))

        // Metadata committed with an offset comes back with it (the embedded broker stores it).
        try consumer.commit([partition: KafkaCommittedOffset(KafkaOffset(13), metadata: "flowstate-changelogs:v1 t=7")])
        #expect(try consumer.committedOffsets([partition])[partition]
                == KafkaCommittedOffset(KafkaOffset(13), metadata: "flowstate-changelogs:v1 t=7"))

        try consumer.pause([partition])
        try consumer.seek([partition: KafkaOffset(15)])
        #expect(try await consumer.poll(timeout: .milliseconds(500)).isEmpty, "paused partitions deliver nothing")
        try consumer.resume([partition])
        let tail = try await consume(consumer, count: 5)
        #expect(tail.map(\.offset) == [15, 16, 17, 18, 19])
        try await consumer.close()

        let error = #expect(throws: KafkaError.self) { _ = try consumer.assignment() }
        #expect(error?.code == .closed)
    }
}
