import Foundation
import Flowstate
import FlowstateTesting
import Testing

/// Counts words per key; the shape of a state-machine step (read state, update, emit).
struct CountProcessor: Processor {
    mutating func process(_ record: Record<String, String>, context: ProcessorContext<String, Int>) throws {
        let counts = try context.keyValueStore("counts", key: String.self, value: Int.self)
        let count = (try counts.get(record.key) ?? 0) + 1
        try counts.put(record.key, count)
        try context.forward(record.with(value: count))
    }
}

func countingTopology(store: StoreDefinition = Stores.persistent("counts", key: .string, value: .binary(Int.self)))
    throws -> Topology {
    let builder = TopologyBuilder()
    builder.addStore(store)
    builder.addSource("words", topics: ["words"], key: .string, value: .string)
        .process("count", stores: ["counts"]) { CountProcessor() }
        .to(topic: "word-counts", key: .string, value: .json(Int.self))
    return try builder.build()
}

@Suite struct CountingTopologyTests {
    @Test func countsEveryKeyAndEmitsTheRunningCount() throws {
        let driver = try TopologyTestDriver(topology: countingTopology(), partitions: ["words": 4, "word-counts": 4])
        let words = driver.inputTopic("words", key: .string, value: .string)
        let counts = driver.outputTopic("word-counts", key: .string, value: .json(Int.self))
        for word in ["a", "b", "a", "c", "a", "b"] { try words.pipeInput(key: word, value: word) }
        let emitted = try counts.readRecordsToList()
        #expect(emitted.map(\.key) == ["a", "b", "a", "c", "a", "b"])
        #expect(emitted.map(\.value) == [1, 1, 2, 1, 3, 2])
        let store = try driver.keyValueStore("counts", key: String.self, value: Int.self)
        #expect(try store.get("a") == 3)
        #expect(try store.get("b") == 2)
        #expect(try store.get("zzz") == nil)
        #expect(try store.all().count == 3)
        driver.close()
    }

    @Test func everyStoreWriteGoesToTheChangelogOfTheTasksPartition() throws {
        let driver = try TopologyTestDriver(topology: countingTopology(), applicationID: "app",
                                            partitions: ["words": 3, "word-counts": 3])
        let words = driver.inputTopic("words", key: .string, value: .string)
        for word in ["x", "y", "x"] { try words.pipeInput(key: word, value: word) }
        let changelog = driver.records(of: "app-counts-changelog")
        let outputs = driver.records(of: "word-counts")
        #expect(changelog.count == 3)
        #expect(changelog.map(\.partition) == outputs.map(\.partition), "changelog partition = task partition")
        #expect(changelog.allSatisfy { $0.headers.last(named: "flowstate.source")?.stringValue?.hasPrefix("words:") == true })
        driver.close()
    }

    @Test func statePersistsAcrossARestartWithTheSameStateDirectory() throws {
        let directory = "/tmp/flowstate-restart-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let driver = try TopologyTestDriver(topology: countingTopology(), stateDirectory: directory)
            try driver.inputTopic("words", key: .string, value: .string).pipeInput(key: "k", value: "k")
            driver.close()
        }
        let driver = try TopologyTestDriver(topology: countingTopology(), stateDirectory: directory)
        let counts = driver.outputTopic("word-counts", key: .string, value: .json(Int.self))
        try driver.inputTopic("words", key: .string, value: .string).pipeInput(key: "k", value: "k")
        #expect(try counts.readRecord()?.value == 2)
        driver.close()
    }
}
