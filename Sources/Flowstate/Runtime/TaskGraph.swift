/// The nodes of one sub-topology, instantiated and wired for one task.
final class TaskGraph {
    private(set) var nodes: [any RuntimeNode] = []
    private(set) var sources: [String: any SourceInput] = [:]

    init(subtopology: Subtopology, nodes specs: [NodeSpec], task: TaskContext) throws(TopologyError) {
        var byName: [String: any RuntimeNode] = [:]
        let ordered = subtopology.nodeNames.compactMap { name in specs.first { $0.name == name } }
        for spec in ordered {
            let node = spec.make(task)
            byName[spec.name] = node
            nodes.append(node)
            if case .source(let topics) = spec.kind, let source = node as? any SourceInput {
                for topic in topics { sources[topic] = source }
            }
        }
        for spec in ordered {
            for parent in spec.parents {
                guard let parentNode = byName[parent], let child = byName[spec.name] else {
                    throw TopologyError(.unknownNode, "\(spec.name) names unknown parent \(parent)")
                }
                try parentNode.connect(to: child)
            }
        }
    }

    /// Initialises processors, children before parents (so a parent may forward during init).
    func initialize() throws {
        for node in nodes.reversed() { try node.initialize() }
    }

    func close() {
        for node in nodes { node.close() }
    }
}
