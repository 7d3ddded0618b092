/// Build-time checks of a topology graph.
enum TopologyValidation {
    static func validate(nodes: [NodeSpec], stores: [StoreDefinition]) throws(TopologyError) {
        guard nodes.contains(where: { if case .source = $0.kind { true } else { false } }) else {
            throw TopologyError(.emptyTopology, "the topology has no source: add one with addSource(_:topics:key:value:)")
        }
        var nodeNames = Set<String>()
        for node in nodes {
            try checkName(node.name, what: "node")
            guard nodeNames.insert(node.name).inserted else {
                throw TopologyError(.duplicateName, "two nodes are named \(node.name)")
            }
        }
        var storeNames = Set<String>()
        for store in stores {
            try checkName(store.name, what: "store")
            guard storeNames.insert(store.name).inserted else {
                throw TopologyError(.duplicateName, "two stores are named \(store.name)")
            }
        }
        for store in stores {
            guard let index = store.partitionKeyStore else { continue }
            guard let indexStore = stores.first(where: { $0.name == index }) else {
                throw TopologyError(.unknownStore, "store \(store.name) is partitioned by the values of store \(index), which does not exist")
            }
            guard indexStore.valueTypeName == "String", indexStore.partitionKeyStore == nil else {
                throw TopologyError(.typeMismatch, "store \(store.name) is partitioned by the values of store \(index), "
                                    + "which must hold String partition keys and be keyed like its input")
            }
        }
        var readers: [String: String] = [:]
        for node in nodes {
            switch node.kind {
            case .source(let topics):
                guard !topics.isEmpty else { throw TopologyError(.invalidName, "source \(node.name) reads no topic") }
                for topic in topics {
                    try checkName(topic, what: "topic")
                    if let other = readers[topic] {
                        throw TopologyError(.duplicateName, "topic \(topic) is read by both \(other) and \(node.name)")
                    }
                    readers[topic] = node.name
                }
            case .sink(let topic):
                try checkName(topic, what: "topic")
            case .processor:
                break
            }
            if case .source = node.kind {} else if node.parents.isEmpty {
                throw TopologyError(.unknownNode, "\(node.name) has no parent")
            }
            for parent in node.parents {
                guard let parentNode = nodes.first(where: { $0.name == parent }) else {
                    throw TopologyError(.unknownNode, "\(node.name) names unknown parent \(parent)")
                }
                if case .sink = parentNode.kind {
                    throw TopologyError(.unknownNode, "\(node.name) names sink \(parent) as parent; sinks have no children")
                }
            }
            for store in node.stores where !storeNames.contains(store) {
                throw TopologyError(.unknownStore, "processor \(node.name) uses unknown store \(store)")
            }
        }
    }

    /// Kafka topic names (and so store names, which become topic names) allow `[a-zA-Z0-9._-]`.
    static func checkName(_ name: String, what: String) throws(TopologyError) {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
        guard !name.isEmpty, allowed, name.count <= 200 else {
            throw TopologyError(.invalidName, "\(what) name '\(name)' must be 1–200 characters of [a-zA-Z0-9._-]")
        }
    }

    /// Groups nodes into connected parts (edges: parent→child, and processors sharing a store).
    static func subtopologies(nodes: [NodeSpec]) -> [Subtopology] {
        var root = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.name) })
        func find(_ name: String) -> String {
            var current = name
            while let parent = root[current], parent != current { current = parent }
            return current
        }
        func union(_ a: String, _ b: String) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { root[rb] = ra }
        }
        var storeOwner: [String: String] = [:]
        for node in nodes {
            for parent in node.parents { union(parent, node.name) }
            for store in node.stores {
                if let owner = storeOwner[store] { union(owner, node.name) } else { storeOwner[store] = node.name }
            }
        }
        var order: [String] = []
        var members: [String: [NodeSpec]] = [:]
        for node in nodes {
            let group = find(node.name)
            if members[group] == nil { order.append(group) }
            members[group, default: []].append(node)
        }
        return order.enumerated().map { index, group in
            let groupNodes = topologicalOrder(members[group]!)
            let topics = groupNodes.flatMap { node -> [String] in if case .source(let t) = node.kind { t } else { [] } }
            var stores: [String] = []
            for store in groupNodes.flatMap(\.stores) where !stores.contains(store) { stores.append(store) }
            return Subtopology(id: index, nodeNames: groupNodes.map(\.name), sourceTopics: topics, stores: stores)
        }
    }

    private static func topologicalOrder(_ nodes: [NodeSpec]) -> [NodeSpec] {
        var placed = Set<String>()
        var result: [NodeSpec] = []
        var remaining = nodes
        while !remaining.isEmpty {
            let before = remaining.count
            remaining.removeAll { node in
                guard node.parents.allSatisfy(placed.contains) else { return false }
                placed.insert(node.name)
                result.append(node)
                return true
            }
            if remaining.count == before { result += remaining; break }  // cycle: keep declared order
        }
        return result
    }

    /// Instantiates every sub-topology once and wires it, so type mismatches fail the build.
    static func checkTypes(nodes: [NodeSpec], subtopologies: [Subtopology],
                           stores: [StoreDefinition]) throws(TopologyError) {
        for subtopology in subtopologies {
            let task = TaskContext.detached(stores: stores.filter { subtopology.stores.contains($0.name) })
            _ = try TaskGraph(subtopology: subtopology, nodes: nodes, task: task)
        }
    }
}
