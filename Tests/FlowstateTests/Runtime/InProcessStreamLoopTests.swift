@testable import Flowstate
import FlowstateKafka
import FlowstateTesting
import Foundation
import Testing

@Suite struct InProcessStreamLoopTests {
    @Test func processesEveryRecordWithBatchedCommitsAndLeavesTheStoresExact() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loop-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let partitions = ["words": 4, "word-counts": 4]
        let loop = try InProcessStreamLoop(topology: countingTopology(), applicationID: "loop", stateDirectory: directory,
                                           partitions: partitions, commitEvery: 7, wallClock: { 0 })
        var latest: [String: Int] = [:]
        var changelogRecords = 0
        loop.observe = { record in
            if record.topic == "word-counts" {
                latest[String(decoding: record.key ?? [], as: UTF8.self)] = Int(String(decoding: record.value ?? [], as: UTF8.self))
            } else if record.topic.hasSuffix("-changelog") {
                changelogRecords += 1
            }
        }
        for index in 0..<500 {
            loop.enqueue(topic: "words", key: Array("key-\(index % 13)".utf8), value: Array("w".utf8), timestamp: Int64(index))
        }
        try loop.run()
        loop.close()
        #expect(loop.processedRecords == 500)
        #expect(changelogRecords == 500, "one changelog record per write")
        let expected = Dictionary(uniqueKeysWithValues: (0..<13).map { ("key-\($0)", 500 / 13 + ($0 < 500 % 13 ? 1 : 0)) })
        #expect(latest == expected)

        // The committed RocksDB state, reopened by the test driver from the same directory.
        let driver = try TopologyTestDriver(topology: countingTopology(), applicationID: "loop", partitions: partitions,
                                            stateDirectory: directory)
        let store = try driver.keyValueStore("counts", key: String.self, value: Int.self)
        for (key, count) in expected { #expect(try store.get(key) == count, "\(key)") }
        driver.close()
    }
}
