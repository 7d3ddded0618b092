/// A read-only picture of a ``Topology``: its sub-topologies, nodes and stores.
///
/// Made by ``Topology/describe(applicationID:)``. Besides the structured data it renders
/// as ``text`` (in the spirit of Kafka Streams' `TopologyDescription`), a Mermaid
/// flowchart (``mermaid``) and a Graphviz graph (``dot``). Every rendering is
/// deterministic: nodes appear in their sub-topology's order (parents before children),
/// parents in declared order, and children, topics and stores sorted by name.
public struct TopologyDescription: Sendable, Hashable, CustomStringConvertible {
    /// The application id used to name changelog topics.
    public let applicationID: String
    /// The connected parts of the topology, by ascending ``Subtopology/id``.
    public let subtopologies: [Subtopology]
    /// Every state store, sorted by name.
    public let stores: [Store]

    /// A connected part of a topology; it runs as one task per partition of its source topics.
    public struct Subtopology: Sendable, Hashable {
        /// The sub-topology's number, from 0.
        public let id: Int
        /// Its nodes, parents before children.
        public let nodes: [Node]

        /// The source nodes, in sub-topology order.
        public var sources: [Node] { nodes.filter { if case .source = $0.kind { true } else { false } } }
        /// The processor nodes, in sub-topology order.
        public var processors: [Node] { nodes.filter { if case .processor = $0.kind { true } else { false } } }
        /// The sink nodes, in sub-topology order.
        public var sinks: [Node] { nodes.filter { if case .sink = $0.kind { true } else { false } } }
        /// The topics read by the sources, in sub-topology order.
        public var sourceTopics: [String] { sources.flatMap(\.topics) }
        /// The names of the stores its processors use, sorted.
        public var storeNames: [String] { Array(Set(nodes.flatMap(\.stores))).sorted() }
    }

    /// A source, processor or sink of a sub-topology.
    public struct Node: Sendable, Hashable {
        /// What a node does.
        public enum Kind: Sendable, Hashable {
            /// Reads `topics`.
            case source(topics: [String])
            /// Runs user code with access to `stores`.
            case processor(stores: [String])
            /// Writes to `topic`.
            case sink(topic: String)
        }

        /// The node's unique name.
        public let name: String
        /// Whether it is a source, processor or sink, with its topics or stores.
        public let kind: Kind
        /// The nodes whose output it receives, in declared order (empty for sources).
        public let parents: [String]
        /// The nodes that receive its output, sorted by name (empty for sinks).
        public let children: [String]

        /// The topics a source reads, or the one topic a sink writes; empty for processors.
        public var topics: [String] {
            switch kind {
            case .source(let topics): topics
            case .sink(let topic): [topic]
            case .processor: []
            }
        }

        /// The stores a processor uses, in declared order; empty for sources and sinks.
        public var stores: [String] {
            if case .processor(let stores) = kind { stores } else { [] }
        }
    }

    /// A state store and the processors that use it.
    public struct Store: Sendable, Hashable {
        /// The store's name.
        public let name: String
        /// Whether it lives on disk or in memory.
        public let kind: StoreDefinition.Kind
        /// Whether its changes go to a changelog topic.
        public let logged: Bool
        /// The changelog topic (``Topology/changelogTopic(applicationID:store:)``), or `nil` if unlogged.
        public let changelogTopic: String?
        /// The key type's name, e.g. `String`.
        public let keyType: String
        /// The value type's name, e.g. `Int`.
        public let valueType: String
        /// The processors that use it, in sub-topology order.
        public let processors: [String]
        /// The sub-topology whose processors use it, or `nil` if none does.
        public let subtopology: Int?
    }

    /// The plain-text rendering; same as ``text``.
    public var description: String { text }

    /// A readable, line-per-node rendering, e.g.
    ///
    /// ```text
    /// Topologies:
    ///    Sub-topology: 0
    ///     Source: words (topics: [words]) --> count
    ///     Processor: count (stores: [counts]) --> words-to-word-counts <-- words
    ///     Sink: words-to-word-counts (topic: word-counts) <-- count
    /// Stores:
    ///     counts: persistent, changelog app-counts-changelog (String → Int)
    /// ```
    ///
    /// Nodes without children show `--> none`; the `Stores:` section is left out when there
    /// are no stores. There is no trailing newline.
    public var text: String {
        var lines = ["Topologies:"]
        for subtopology in subtopologies {
            lines.append("   Sub-topology: \(subtopology.id)")
            for node in subtopology.nodes {
                let children = " --> " + (node.children.isEmpty ? "none" : node.children.joined(separator: ", "))
                let parents = node.parents.isEmpty ? "" : " <-- " + node.parents.joined(separator: ", ")
                switch node.kind {
                case .source(let topics):
                    lines.append("    Source: \(node.name) (topics: [\(topics.joined(separator: ", "))])\(children)")
                case .processor(let stores):
                    lines.append("    Processor: \(node.name) (stores: [\(stores.joined(separator: ", "))])\(children)\(parents)")
                case .sink(let topic):
                    lines.append("    Sink: \(node.name) (topic: \(topic))\(parents)")
                }
            }
        }
        if !stores.isEmpty {
            lines.append("Stores:")
            for store in stores {
                let kind = switch store.kind {
                case .persistent: "persistent"
                case .inMemory: "in-memory"
                }
                lines.append("    \(store.name): \(kind), changelog \(store.changelogTopic ?? "none") "
                             + "(\(store.keyType) → \(store.valueType))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A Mermaid `flowchart LR`: one `subgraph` per sub-topology, topics as stadiums,
    /// nodes as boxes, stores as cylinders, and dashed links between processors and stores.
    ///
    /// Ids are made of letters, digits and `_` (prefixed `topic_`, `node_`, `store_`, with a
    /// numeric suffix if two names would clash); labels are quoted. Topics, and stores no
    /// processor uses, sit outside the subgraphs; all edges follow the subgraphs.
    public var mermaid: String {
        var ids = MermaidIDs()
        var lines = ["flowchart LR"]
        for topic in topics {
            lines.append("    \(ids.id(topic: topic))([\(mermaidLabel(topic))])")
        }
        for store in stores where store.subtopology == nil {
            lines.append("    \(ids.id(store: store.name))[(\(mermaidLabel(store.name)))]")
        }
        for subtopology in subtopologies {
            lines.append("    subgraph subtopology_\(subtopology.id) [\(mermaidLabel("Sub-topology \(subtopology.id)"))]")
            for node in subtopology.nodes {
                lines.append("        \(ids.id(node: node.name))[\(mermaidLabel(node.name))]")
            }
            for store in subtopology.storeNames {
                lines.append("        \(ids.id(store: store))[(\(mermaidLabel(store)))]")
            }
            lines.append("    end")
        }
        for edge in edges {
            lines.append("    \(ids.id(edge.from)) \(edge.dashed ? "-.-" : "-->") \(ids.id(edge.to))")
        }
        return lines.joined(separator: "\n")
    }

    /// A Graphviz `digraph`: one `cluster_N` subgraph per sub-topology, topics as rounded
    /// boxes, nodes as boxes, stores as cylinders, and dashed undirected edges to stores.
    ///
    /// Ids are quoted and prefixed (`topic:`, `node:`, `store:`); labels are escaped.
    public var dot: String {
        var lines = ["digraph topology {", "    rankdir=LR;"]
        for topic in topics {
            lines.append("    \(dotID(.topic(topic))) [label=\(dotQuote(topic)), shape=box, style=rounded];")
        }
        for store in stores where store.subtopology == nil {
            lines.append("    \(dotID(.store(store.name))) [label=\(dotQuote(store.name)), shape=cylinder];")
        }
        for subtopology in subtopologies {
            lines.append("    subgraph cluster_\(subtopology.id) {")
            lines.append("        label=\(dotQuote("Sub-topology \(subtopology.id)"));")
            for node in subtopology.nodes {
                lines.append("        \(dotID(.node(node.name))) [label=\(dotQuote(node.name)), shape=box];")
            }
            for store in subtopology.storeNames {
                lines.append("        \(dotID(.store(store))) [label=\(dotQuote(store)), shape=cylinder];")
            }
            lines.append("    }")
        }
        for edge in edges {
            let style = edge.dashed ? " [style=dashed, arrowhead=none]" : ""
            lines.append("    \(dotID(edge.from)) -> \(dotID(edge.to))\(style);")
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    // MARK: - Rendering helpers

    /// Every source and sink topic, sorted (internal changelog topics are not nodes' topics).
    public var topics: [String] {
        Array(Set(subtopologies.flatMap { $0.nodes.flatMap(\.topics) })).sorted()
    }

    /// Every edge, node by node in sub-topology order: a node's incoming topics or parents,
    /// then its stores (processors) or its topic (sinks).
    private var edges: [Edge] {
        var edges: [Edge] = []
        for node in subtopologies.flatMap(\.nodes) {
            switch node.kind {
            case .source(let topics):
                edges += topics.map { Edge(from: .topic($0), to: .node(node.name), dashed: false) }
            case .processor(let stores):
                edges += node.parents.map { Edge(from: .node($0), to: .node(node.name), dashed: false) }
                edges += stores.map { Edge(from: .node(node.name), to: .store($0), dashed: true) }
            case .sink(let topic):
                edges += node.parents.map { Edge(from: .node($0), to: .node(node.name), dashed: false) }
                edges.append(Edge(from: .node(node.name), to: .topic(topic), dashed: false))
            }
        }
        return edges
    }
}

extension Topology {
    /// Describes the topology's sub-topologies, nodes and stores.
    ///
    /// - Parameter applicationID: The application id that names changelog topics.
    /// - Returns: The description, renderable as text, Mermaid or Graphviz.
    public func describe(applicationID: String = "<application-id>") -> TopologyDescription {
        var children: [String: [String]] = [:]
        for node in nodes {
            for parent in node.parents { children[parent, default: []].append(node.name) }
        }
        let described = subtopologies.map { subtopology in
            TopologyDescription.Subtopology(id: subtopology.id, nodes: subtopology.nodeNames.compactMap { name in
                guard let node = node(named: name) else { return nil }
                let kind: TopologyDescription.Node.Kind = switch node.kind {
                case .source(let topics): .source(topics: topics)
                case .processor: .processor(stores: node.stores)
                case .sink(let topic): .sink(topic: topic)
                }
                return TopologyDescription.Node(name: name, kind: kind, parents: node.parents,
                                                children: Array(Set(children[name] ?? [])).sorted())
            })
        }
        let storeDescriptions = stores.sorted { $0.name < $1.name }.map { store in
            let users = described.flatMap { subtopology in
                subtopology.nodes.filter { $0.stores.contains(store.name) }.map { (subtopology.id, $0.name) }
            }
            return TopologyDescription.Store(
                name: store.name, kind: store.kind, logged: store.logged,
                changelogTopic: store.logged ? Topology.changelogTopic(applicationID: applicationID, store: store.name) : nil,
                keyType: store.keyTypeName, valueType: store.valueTypeName,
                processors: users.map(\.1), subtopology: users.first?.0)
        }
        return TopologyDescription(applicationID: applicationID, subtopologies: described, stores: storeDescriptions)
    }
}

/// One end of a drawn edge.
private enum Vertex: Hashable {
    case topic(String)
    case node(String)
    case store(String)
}

/// A drawn edge; dashed edges join processors and their stores.
private struct Edge {
    let from: Vertex
    let to: Vertex
    let dashed: Bool
}

/// Assigns Mermaid ids: a kind prefix plus the name with every character outside
/// `[A-Za-z0-9]` replaced by `_`, suffixed `_2`, `_3`… when two names would clash.
private struct MermaidIDs {
    private var assigned: [Vertex: String] = [:]
    private var used: Set<String> = []

    mutating func id(topic: String) -> String { id(.topic(topic)) }
    mutating func id(node: String) -> String { id(.node(node)) }
    mutating func id(store: String) -> String { id(.store(store)) }

    mutating func id(_ vertex: Vertex) -> String {
        if let id = assigned[vertex] { return id }
        let (prefix, name) = switch vertex {
        case .topic(let name): ("topic_", name)
        case .node(let name): ("node_", name)
        case .store(let name): ("store_", name)
        }
        let base = prefix + String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        var candidate = base
        var suffix = 2
        while used.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        used.insert(candidate)
        assigned[vertex] = candidate
        return candidate
    }
}

/// A quoted Mermaid label; `"` becomes `#quot;`.
private func mermaidLabel(_ text: String) -> String {
    "\"" + text.replacing("\"", with: "#quot;") + "\""
}

/// A quoted Graphviz id for a vertex.
private func dotID(_ vertex: Vertex) -> String {
    switch vertex {
    case .topic(let name): dotQuote("topic:" + name)
    case .node(let name): dotQuote("node:" + name)
    case .store(let name): dotQuote("store:" + name)
    }
}

/// A quoted Graphviz string with `\`, `"` and newlines escaped.
private func dotQuote(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        default: escaped.append(character)
        }
    }
    return "\"" + escaped + "\""
}
