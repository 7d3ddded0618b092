import Flowstate
import FlowstateTesting
import Testing

/// Applies commands ("put k v", "del k") to a store and emits a scan result for "scan …" commands.
private func storeTopology(_ store: StoreDefinition) throws -> Topology {
    let builder = TopologyBuilder()
    builder.addStore(store)
    builder.addSource("commands", topics: ["commands"], key: .string, value: .string)
        .process("apply", stores: ["kv"]) { (record: Record<String, String>, context: ProcessorContext<String, String>) in
            let kv = try context.keyValueStore("kv", key: String.self, value: String.self)
            let words = record.value.split(separator: " ").map(String.init)
            switch words[0] {
            case "put": try kv.put(words[1], words[2])
            case "del": try kv.delete(words[1])
            case "range": try context.forward(record.with(value: try kv.range(from: words[1], to: words[2]).map(\.key).joined(separator: ",")))
            case "prefix": try context.forward(record.with(value: try kv.prefixScan(words[1]).map(\.key).joined(separator: ",")))
            case "count": try context.forward(record.with(value: String(try kv.approximateCount())))
            default: break
            }
        }
        .to(topic: "results", key: .string, value: .string)
    return try builder.build()
}

@Suite struct KeyValueStoreTests {
    @Test(arguments: [Stores.persistent("kv", key: .string, value: .string), Stores.inMemory("kv", key: .string, value: .string)])
    func getPutDeleteRangeAndPrefixScansSeeCommittedAndPendingWrites(store: StoreDefinition) throws {
        let driver = try TopologyTestDriver(topology: storeTopology(store))
        let commands = driver.inputTopic("commands", key: .string, value: .string)
        let results = driver.outputTopic("results", key: .string, value: .string)
        for command in ["put apple 1", "put apricot 2", "put banana 3", "put blueberry 4", "put cherry 5", "del banana"] {
            try commands.pipeInput(key: "c", value: command)
        }
        try commands.pipeInput(key: "c", value: "range apricot cherry")
        try commands.pipeInput(key: "c", value: "prefix ap")
        try commands.pipeInput(key: "c", value: "prefix b")
        try commands.pipeInput(key: "c", value: "count")
        #expect(try results.readKeyValues().map(\.value) == ["apricot,blueberry", "apple,apricot", "blueberry", "4"])
        let kv = try driver.keyValueStore("kv", key: String.self, value: String.self)
        #expect(try kv.get("banana") == nil)
        #expect(try kv.get("cherry") == "5")
        #expect(driver.records(of: "test-kv-changelog").last?.value == nil, "a delete writes a tombstone")
    }

    @Test func aStoreWithoutChangelogWritesNoChangelogRecords() throws {
        let driver = try TopologyTestDriver(topology: storeTopology(Stores.persistent("kv", key: .string, value: .string,
                                                                                    changelog: false)))
        try driver.inputTopic("commands", key: .string, value: .string).pipeInput(key: "c", value: "put a 1")
        #expect(driver.records(of: "test-kv-changelog").isEmpty)
        #expect(try driver.keyValueStore("kv", key: String.self, value: String.self).get("a") == "1")
    }

    @Test(arguments: [Stores.persistent("kv", key: .string, value: .string), Stores.inMemory("kv", key: .string, value: .string)])
    func readsAfterAFailedRecordSeeItsWritesUndoneThoughTheValuesWereReadBefore(store: StoreDefinition) throws {
        struct Failure: Error {}
        let builder = TopologyBuilder()
        builder.processingErrorPolicy = .deadLetter
        builder.addStore(store)
        builder.addSource("commands", topics: ["commands"], key: .string, value: .string)
            .process("apply", stores: ["kv"]) { (record: Record<String, String>, context: ProcessorContext<String, String>) in
                let kv = try context.keyValueStore("kv", key: String.self, value: String.self)
                let words = record.value.split(separator: " ").map(String.init)
                switch words[0] {
                case "put": try kv.put(words[1], words[2])
                case "get": try context.forward(record.with(value: try kv.get(words[1]) ?? "-"))
                case "put-then-fail":
                    _ = try kv.get(words[1])
                    try kv.put(words[1], words[2])
                    try context.forward(record.with(value: "read back \(try kv.get(words[1]) ?? "-")"))
                    throw Failure()
                default: break
                }
            }
            .to(topic: "results", key: .string, value: .string)
        let driver = try TopologyTestDriver(topology: builder.build())
        let commands = driver.inputTopic("commands", key: .string, value: .string)
        let results = driver.outputTopic("results", key: .string, value: .string)
        for command in ["put a 1", "get a", "put-then-fail a 2", "get a", "put-then-fail b 3", "get b"] {
            try commands.pipeInput(key: "c", value: command)
        }
        #expect(try results.readKeyValues().map(\.value) == ["1", "1", "-"])
        #expect(try driver.keyValueStore("kv", key: String.self, value: String.self).get("a") == "1")
    }
}
