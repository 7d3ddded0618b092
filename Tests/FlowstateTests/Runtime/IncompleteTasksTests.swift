@testable import Flowstate
import FlowstateKafka
import Logging
import Testing

/// A member runs only the tasks it holds whole; the rest of its assignment stays paused, and
/// pauses librdkafka keeps across assignments are lifted when a whole task reads the partition.
@Suite struct IncompleteTasksTests {
    /// One sub-topology reading `a` and `b` (co-partitioned), as a state machine reads its topics.
    private func twoTopicTopology() throws -> Topology {
        let builder = TopologyBuilder()
        builder.addSource("both", topics: ["a", "b"], key: .string, value: .string)
            .to(topic: "out", key: .string, value: .string)
        return try builder.build()
    }

    private func partitions(_ names: String...) -> Set<KafkaTopicPartition> {
        Set(names.map { name in
            let parts = name.split(separator: "-")
            return KafkaTopicPartition(topic: String(parts[0]), partition: Int32(parts[1])!)
        })
    }

    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func onlyTasksHeldWholeRunAndTheFragmentsArePausedOnce() throws {
        let topology = try twoTopicTopology()
        var tasks = IncompleteTasks()
        let whole = tasks.update(assigned: partitions("a-0", "b-0", "b-1"), topology: topology, logger: logger)
        #expect(whole == [TaskID(subtopology: 0, partition: 0)])
        #expect(tasks.idle == partitions("b-1"))
        let first = tasks.takeChanges()
        #expect(first.pause == [KafkaTopicPartition(topic: "b", partition: 1)])
        #expect(first.resume.isEmpty)
        #expect(tasks.takeChanges().pause.isEmpty)  // returned once
    }

    @Test func aPartitionPausedWhileIdleIsResumedWhenItsTaskComesWholeAfterARevocation() throws {
        let topology = try twoTopicTopology()
        var tasks = IncompleteTasks()
        _ = tasks.update(assigned: partitions("b-1"), topology: topology, logger: logger)
        _ = tasks.takeChanges()
        tasks.revoke(partitions("b-1"))  // an eager rebalance revokes everything first
        let whole = tasks.update(assigned: partitions("a-1", "b-1"), topology: topology, logger: logger)
        #expect(whole == [TaskID(subtopology: 0, partition: 1)])
        #expect(tasks.idle.isEmpty)
        let changes = tasks.takeChanges()
        #expect(changes.pause.isEmpty)
        #expect(changes.resume == [KafkaTopicPartition(topic: "b", partition: 1)])
    }

    @Test func aPartitionHeldBackByBackPressureBeforeARebalanceIsResumedAfterIt() throws {
        let topology = try twoTopicTopology()
        var tasks = IncompleteTasks()
        _ = tasks.update(assigned: partitions("a-0", "b-0"), topology: topology, logger: logger)
        tasks.record(paused: partitions("a-0"))
        tasks.revoke(partitions("a-0", "b-0"))
        _ = tasks.update(assigned: partitions("a-0", "b-0"), topology: topology, logger: logger)
        #expect(tasks.takeChanges().resume == [KafkaTopicPartition(topic: "a", partition: 0)])
        _ = tasks.update(assigned: partitions("a-0", "b-0"), topology: topology, logger: logger)
        #expect(tasks.takeChanges().resume.isEmpty)  // resumed already
    }
}
