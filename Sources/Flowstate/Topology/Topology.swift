/// A validated graph of sources, processors, stores and sinks, ready to run.
///
/// Built by ``TopologyBuilder/build()``. Its sub-topologies are the connected parts of the
/// graph (nodes sharing a store count as connected); each runs as one task per partition.
public struct Topology: Sendable {
    let nodes: [NodeSpec]
    let stores: [StoreDefinition]
    let subtopologies: [Subtopology]
    let declaredPartitions: [String: Int]
    /// What happens to a record whose processing throws.
    public let processingErrorPolicy: ProcessingErrorPolicy

    /// Every topic read by a source.
    public var sourceTopics: [String] { subtopologies.flatMap(\.sourceTopics).sorted() }

    /// Every topic written by a sink.
    public var sinkTopics: [String] {
        Array(Set(nodes.compactMap { if case .sink(let topic) = $0.kind { topic } else { nil } })).sorted()
    }

    /// The names of the topology's state stores.
    public var storeNames: [String] { stores.map(\.name) }

    /// The changelog topic of a store: `<application-id>-<store>-changelog`.
    public static func changelogTopic(applicationID: String, store: String) -> String {
        "\(applicationID)-\(store)-changelog"
    }

    init(nodes: [NodeSpec], stores: [StoreDefinition], declaredPartitions: [String: Int],
         processingErrorPolicy: ProcessingErrorPolicy) throws(TopologyError) {
        self.nodes = nodes
        self.stores = stores
        self.declaredPartitions = declaredPartitions
        self.processingErrorPolicy = processingErrorPolicy
        try TopologyValidation.validate(nodes: nodes, stores: stores)
        subtopologies = TopologyValidation.subtopologies(nodes: nodes)
        try TopologyValidation.checkTypes(nodes: nodes, subtopologies: subtopologies, stores: stores)
        try validateCoPartitioning(partitionCounts: declaredPartitions, requireAll: false)
    }

    /// Checks that the source topics of every sub-topology have the same partition count.
    ///
    /// - Parameters:
    ///   - partitionCounts: Known partition counts by topic.
    ///   - requireAll: Whether a source topic missing from `partitionCounts` is an error.
    /// - Throws: ``TopologyError`` with ``TopologyError/Code/notCoPartitioned`` naming the topics.
    func validateCoPartitioning(partitionCounts: [String: Int], requireAll: Bool) throws(TopologyError) {
        for subtopology in subtopologies {
            var counts: [String: Int] = [:]
            for topic in subtopology.sourceTopics {
                if let count = partitionCounts[topic] {
                    counts[topic] = count
                } else if requireAll {
                    throw TopologyError(.unknownNode, "source topic \(topic) does not exist")
                }
            }
            if Set(counts.values).count > 1 {
                let detail = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                let stores = subtopology.stores.isEmpty ? "" : " (they share stores \(subtopology.stores.joined(separator: ", ")))"
                throw TopologyError(.notCoPartitioned,
                                    "sub-topology \(subtopology.id) reads topics with different partition counts\(stores): \(detail)")
            }
        }
    }

    /// The sub-topology that reads `topic`, if any.
    func subtopology(readingTopic topic: String) -> Subtopology? {
        subtopologies.first { $0.sourceTopics.contains(topic) }
    }

    func node(named name: String) -> NodeSpec? { nodes.first { $0.name == name } }

    /// Every task of the topology: one per sub-topology and partition of its sources.
    package func taskIDs(partitionCounts: [String: Int]) -> [TaskID] {
        subtopologies.flatMap { subtopology in
            let count = subtopology.sourceTopics.compactMap { partitionCounts[$0] }.max() ?? 1
            return (0..<count).map { TaskID(subtopology: subtopology.id, partition: Int32($0)) }
        }
    }

    func store(named name: String) -> StoreDefinition? { stores.first { $0.name == name } }
}

/// A connected part of a topology.
struct Subtopology: Sendable {
    let id: Int
    /// Node names, parents before children.
    let nodeNames: [String]
    let sourceTopics: [String]
    let stores: [String]
}
