import Flowstate
import Testing

@Suite struct TopologyBuilderTests {
    private func passThrough(_ builder: TopologyBuilder, _ name: String, parent: String, stores: [String] = []) {
        builder.addProcessor(name, parents: [parent], stores: stores) {
            ClosureProcessor<String, String, String, String> { record, context in try context.forward(record) }
        }
    }

    @Test func anEmptyTopologyIsRejected() {
        let error = #expect(throws: TopologyError.self) { try TopologyBuilder().build() }
        #expect(error?.code == .emptyTopology)
    }

    @Test func duplicateNodeAndStoreNamesAreRejected() {
        let nodes = TopologyBuilder()
        nodes.addSource("a", topics: ["t1"], key: .string, value: .string)
        nodes.addSource("a", topics: ["t2"], key: .string, value: .string)
        #expect((#expect(throws: TopologyError.self) { try nodes.build() })?.code == .duplicateName)

        let stores = TopologyBuilder()
        stores.addSource("a", topics: ["t1"], key: .string, value: .string)
        stores.addStore(Stores.inMemory("s", key: .string, value: .string))
        stores.addStore(Stores.persistent("s", key: .string, value: .string))
        let error = #expect(throws: TopologyError.self) { try stores.build() }
        #expect(error?.code == .duplicateName)
        #expect(error?.message.contains("s") == true)
    }

    @Test func unknownParentsAndStoresAreNamed() {
        let parent = TopologyBuilder()
        parent.addSource("src", topics: ["t"], key: .string, value: .string)
        passThrough(parent, "p", parent: "missing")
        let parentError = #expect(throws: TopologyError.self) { try parent.build() }
        #expect(parentError?.code == .unknownNode)
        #expect(parentError?.message.contains("missing") == true)

        let store = TopologyBuilder()
        store.addSource("src", topics: ["t"], key: .string, value: .string)
        passThrough(store, "p", parent: "src", stores: ["ghost"])
        let storeError = #expect(throws: TopologyError.self) { try store.build() }
        #expect(storeError?.code == .unknownStore)
        #expect(storeError?.message.contains("ghost") == true)
    }

    @Test func aChildWhoseInputTypesDifferFromItsParentsOutputIsRejected() {
        let builder = TopologyBuilder()
        builder.addSource("src", topics: ["t"], key: .string, value: .json(Int.self))
        passThrough(builder, "strings-only", parent: "src")
        let error = #expect(throws: TopologyError.self) { try builder.build() }
        #expect(error?.code == .typeMismatch)
        #expect(error?.message.contains("strings-only") == true)
    }

    @Test func aStoreSharedBySourcesWithDifferentPartitionCountsIsNotCoPartitioned() {
        let builder = TopologyBuilder()
        builder.addStore(Stores.inMemory("shared", key: .string, value: .string))
        builder.addSource("orders", topics: ["orders"], key: .string, value: .string, partitions: 4)
        builder.addSource("payments", topics: ["payments"], key: .string, value: .string, partitions: 8)
        passThrough(builder, "by-order", parent: "orders", stores: ["shared"])
        passThrough(builder, "by-payment", parent: "payments", stores: ["shared"])
        let error = #expect(throws: TopologyError.self) { try builder.build() }
        #expect(error?.code == .notCoPartitioned)
        #expect(error?.message.contains("orders: 4") == true && error?.message.contains("payments: 8") == true)
    }

    @Test func nodesSharingAStoreFormOneSubtopologyAndUnrelatedOnesAnother() throws {
        let builder = TopologyBuilder()
        builder.addStore(Stores.inMemory("shared", key: .string, value: .string))
        builder.addSource("orders", topics: ["orders"], key: .string, value: .string)
        builder.addSource("payments", topics: ["payments"], key: .string, value: .string)
        builder.addSource("audit", topics: ["audit"], key: .string, value: .string)
        passThrough(builder, "by-order", parent: "orders", stores: ["shared"])
        passThrough(builder, "by-payment", parent: "payments", stores: ["shared"])
        passThrough(builder, "audit-step", parent: "audit")
        let description = try builder.build().describe()
        #expect(description.subtopologies.count == 2)
        #expect(Set(description.subtopologies[0].sourceTopics) == ["orders", "payments"])
        #expect(description.subtopologies[1].sourceTopics == ["audit"])
    }

    @Test func invalidNamesAreRejected() {
        let builder = TopologyBuilder()
        builder.addSource("src", topics: ["has space"], key: .string, value: .string)
        #expect((#expect(throws: TopologyError.self) { try builder.build() })?.code == .invalidName)
    }
}

@Suite struct StorePartitioningTests {
    private func topology(index: StoreDefinition?) throws -> Topology {
        let builder = TopologyBuilder()
        builder.addStore(Stores.persistent("entities", key: .string, value: .string).partitioned(byValueIn: "index"))
        if let index { builder.addStore(index) }
        builder.addSource("src", topics: ["t"], key: .string, value: .string)
            .process("p", stores: ["entities"] + (index == nil ? [] : ["index"])) {
                ClosureProcessor<String, String, String, String> { _, _ in }
            }
        return try builder.build()
    }

    @Test func aStorePartitionedByAnIndexNamesAnIndexThatExistsAndHoldsPartitionKeys() throws {
        let missing = #expect(throws: TopologyError.self) { try topology(index: nil) }
        #expect(missing?.code == .unknownStore)
        #expect(missing?.message.contains("index") == true)
        let wrongType = #expect(throws: TopologyError.self) {
            try topology(index: Stores.persistent("index", key: .string, value: .json(Int.self)))
        }
        #expect(wrongType?.code == .typeMismatch)
        #expect(try topology(index: Stores.persistent("index", key: .string, value: .string)).storeNames == ["entities", "index"])
        #expect(Stores.persistent("entities", key: .string, value: .string).partitioned(byValueIn: "index").partitionKeyStore == "index")
    }
}
