import Flowstate
import Testing

/// Two sub-topologies: a stateful one fanning out to two sinks, and a mostly stateless one.
private func shopTopology() throws -> Topology {
    let builder = TopologyBuilder()
    builder.addStore(Stores.persistent("totals", key: .string, value: .binary(Int.self)))
    builder.addStore(Stores.inMemory("recent", key: .string, value: .binary(Int.self), changelog: false))
    let totals = builder.addSource("orders", topics: ["orders"], key: .string, value: .string)
        .process("total", stores: ["totals"]) { (record: Record<String, String>, context: ProcessorContext<String, Int>) in
            let store = try context.keyValueStore("totals", key: String.self, value: Int.self)
            let total = (try store.get(record.key) ?? 0) + record.value.count
            try store.put(record.key, total)
            try context.forward(record.with(value: total))
        }
    totals.to(topic: "totals", key: .string, value: .json(Int.self))
    totals.to(topic: "audit", key: .string, value: .binary(Int.self))
    builder.addSource("clicks", topics: ["clicks", "views"], key: .string, value: .string)
        .filter("valid") { !$0.value.isEmpty }
        .process("tag", stores: ["recent"]) { (record: Record<String, String>, context: ProcessorContext<String, Int>) in
            try context.forward(record.with(value: record.value.count))
        }
        .to(topic: "tagged", key: .string, value: .json(Int.self))
    return try builder.build()
}

/// The ids a Mermaid chart declares or links: the first token of each node line, both ends of each edge.
private func mermaidIDs(_ chart: String) -> (declared: [String], linked: [String]) {
    var declared: [String] = []
    var linked: [String] = []
    for line in chart.split(separator: "\n") {
        if let edge = line.wholeMatch(of: #/ *(\S+) (?:-->|-\.-) (\S+)/#) {
            linked += [String(edge.1), String(edge.2)]
        } else if let node = line.wholeMatch(of: #/ *([^\s\[\(]+)[\[\(].*/#) {
            declared.append(String(node.1))
        }
    }
    return (declared, linked)
}

@Suite struct TopologyDescriptionTests {
    @Test func textListsSubtopologiesNodesAndStoresInTheirOrder() throws {
        let text = try shopTopology().describe(applicationID: "shop").text
        #expect(text == """
            Topologies:
               Sub-topology: 0
                Source: orders (topics: [orders]) --> total
                Processor: total (stores: [totals]) --> total-to-audit, total-to-totals <-- orders
                Sink: total-to-totals (topic: totals) <-- total
                Sink: total-to-audit (topic: audit) <-- total
               Sub-topology: 1
                Source: clicks (topics: [clicks, views]) --> valid
                Processor: valid (stores: []) --> tag <-- clicks
                Processor: tag (stores: [recent]) --> tag-to-tagged <-- valid
                Sink: tag-to-tagged (topic: tagged) <-- tag
            Stores:
                recent: in-memory, changelog none (String → Int)
                totals: persistent, changelog shop-totals-changelog (String → Int)
            """)
    }

    @Test func descriptionIsTheTextAndOmitsStoresWhenThereAreNone() throws {
        let builder = TopologyBuilder()
        builder.addSource("in", topics: ["in"], key: .string, value: .string)
            .to("out", topic: "out", key: .string, value: .string)
        let description = try builder.build().describe()
        #expect(description.description == description.text)
        #expect(description.text == """
            Topologies:
               Sub-topology: 0
                Source: in (topics: [in]) --> out
                Sink: out (topic: out) <-- in
            """)
    }

    @Test func structuredDataNamesNodesStoresAndChangelogs() throws {
        let description = try shopTopology().describe(applicationID: "shop")
        #expect(description.applicationID == "shop")
        #expect(description.subtopologies.map(\.id) == [0, 1])
        let first = description.subtopologies[0]
        #expect(first.sources.map(\.name) == ["orders"])
        #expect(first.sourceTopics == ["orders"])
        #expect(first.processors.map(\.name) == ["total"])
        #expect(first.sinks.map(\.topics) == [["totals"], ["audit"]])
        #expect(first.storeNames == ["totals"])
        let total = try #require(first.nodes.first { $0.name == "total" })
        #expect(total.kind == .processor(stores: ["totals"]))
        #expect(total.parents == ["orders"])
        #expect(total.children == ["total-to-audit", "total-to-totals"])
        #expect(description.subtopologies[1].sources.first?.kind == .source(topics: ["clicks", "views"]))
        #expect(description.subtopologies[1].sinks.first?.kind == .sink(topic: "tagged"))

        #expect(description.stores.map(\.name) == ["recent", "totals"])
        let totals = description.stores[1]
        #expect(totals.kind == .persistent)
        #expect(totals.logged)
        #expect(totals.changelogTopic == Topology.changelogTopic(applicationID: "shop", store: "totals"))
        #expect((totals.keyType, totals.valueType) == ("String", "Int"))
        #expect(totals.processors == ["total"])
        #expect(totals.subtopology == 0)
        let recent = description.stores[0]
        #expect(recent.kind == .inMemory)
        #expect(!recent.logged)
        #expect(recent.changelogTopic == nil)
        #expect(recent.subtopology == 1)
    }

    @Test func describingTwiceGivesTheSameOutput() throws {
        let topology = try shopTopology()
        let (a, b) = (topology.describe(applicationID: "shop"), topology.describe(applicationID: "shop"))
        #expect(a == b)
        #expect(a.mermaid == b.mermaid)
        #expect(a.dot == b.dot)
        #expect(topology.describe().stores[1].changelogTopic == "<application-id>-totals-changelog")
    }

    @Test func mermaidDrawsSubgraphsTopicsCylinderStoresAndEdges() throws {
        let mermaid = try shopTopology().describe(applicationID: "shop").mermaid
        let lines = mermaid.split(separator: "\n").map { String($0.trimmingPrefix(while: \.isWhitespace)) }
        #expect(mermaid.hasPrefix("flowchart LR\n"))
        for expected in [
            #"subgraph subtopology_0 ["Sub-topology 0"]"#,
            #"subgraph subtopology_1 ["Sub-topology 1"]"#,
            #"topic_orders(["orders"])"#,
            #"topic_audit(["audit"])"#,
            #"node_total["total"]"#,
            #"node_total_to_audit["total-to-audit"]"#,
            #"store_totals[("totals")]"#,
            #"store_recent[("recent")]"#,
            "topic_orders --> node_orders",
            "node_orders --> node_total",
            "node_total --> node_total_to_totals",
            "node_total --> node_total_to_audit",
            "node_total_to_audit --> topic_audit",
            "node_total -.- store_totals",
            "node_tag -.- store_recent",
            "topic_views --> node_clicks",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
        #expect(!mermaid.contains("\nsubgraph"), "subgraphs are indented")
        #expect(lines.filter { $0 == "end" }.count == 2)
    }

    @Test func mermaidIDsAreSanitisedUniqueAndDeclared() throws {
        let builder = TopologyBuilder()
        builder.addSource("a.b", topics: ["x.y", "x-y"], key: .string, value: .string)
            .to("end", topic: "x_y", key: .string, value: .string)
        for topology in [try shopTopology(), try builder.build()] {
            let (declared, linked) = mermaidIDs(topology.describe().mermaid)
            #expect(!declared.isEmpty)
            #expect(Set(declared).count == declared.count, "ids are unique: \(declared)")
            for id in declared + linked {
                #expect(id.wholeMatch(of: #/[A-Za-z0-9_]+/#) != nil, "invalid Mermaid id \(id)")
            }
            #expect(Set(linked).isSubset(of: Set(declared)))
        }
        let mermaid = try builder.build().describe().mermaid
        #expect(mermaid.contains(#"topic_x_y(["x-y"])"#))
        #expect(mermaid.contains(#"topic_x_y_2(["x.y"])"#))
        #expect(mermaid.contains(#"topic_x_y_3(["x_y"])"#))
        #expect(mermaid.contains(#"node_end["end"]"#))
    }

    @Test func dotHasAClusterPerSubtopologyCylinderStoresAndBalancedBraces() throws {
        let dot = try shopTopology().describe(applicationID: "shop").dot
        #expect(dot.hasPrefix("digraph topology {\n"))
        #expect(dot.hasSuffix("\n}"))
        for expected in [
            "subgraph cluster_0 {",
            "subgraph cluster_1 {",
            #"label="Sub-topology 1";"#,
            #""topic:orders" [label="orders", shape=box, style=rounded];"#,
            #""node:total" [label="total", shape=box];"#,
            #""store:totals" [label="totals", shape=cylinder];"#,
            #""store:recent" [label="recent", shape=cylinder];"#,
            #""topic:orders" -> "node:orders";"#,
            #""node:total" -> "node:total-to-audit";"#,
            #""node:total-to-totals" -> "topic:totals";"#,
            #""node:total" -> "store:totals" [style=dashed, arrowhead=none];"#,
        ] {
            #expect(dot.contains(expected), "missing: \(expected)")
        }
        var depth = 0
        for character in dot {
            if character == "{" { depth += 1 }
            if character == "}" { depth -= 1 }
            #expect(depth >= 0)
        }
        #expect(depth == 0)
        #expect(dot.filter { $0 == "\"" }.count.isMultiple(of: 2), "quotes are balanced")
    }
}
