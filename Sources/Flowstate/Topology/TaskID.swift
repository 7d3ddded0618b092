/// A task: one sub-topology applied to one partition of its source topics.
public struct TaskID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The sub-topology's index in the topology.
    public var subtopology: Int
    /// The partition number its sources read.
    public var partition: Int32

    /// Creates a task id.
    public init(subtopology: Int, partition: Int32) {
        self.subtopology = subtopology
        self.partition = partition
    }

    /// Orders by sub-topology, then partition.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.subtopology, lhs.partition) < (rhs.subtopology, rhs.partition)
    }

    /// `subtopology_partition`, as Kafka Streams names task directories.
    public var description: String { "\(subtopology)_\(partition)" }
}
