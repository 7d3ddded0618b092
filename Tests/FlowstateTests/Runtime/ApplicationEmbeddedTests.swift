import Flowstate
import FlowstateKafka
import FlowstateTesting
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(4)))
struct ApplicationEmbeddedTests {
    @Test func oneInstanceProcessesTwentyThousandRecordsExactlyOnceIntoOutputsAndStores() async throws {
        let harness = try EmbeddedClusterHarness(topics: ["words": 4, "word-counts": 4])
        let keys = (0..<100).map { "key-\($0)" }
        let input = (0..<20_000).map { (key: keys[$0 % keys.count], value: "v\($0)") }
        try await harness.produce(topic: "words", records: input)

        let applicationID = "wc-\(UUID().uuidString.prefix(8))"
        let app = FlowstateApplication(topology: try countingTopology(), config: harness.config(applicationID: applicationID),
                                       embeddedCluster: harness.cluster)
        let outputs = try await withRunningApplication(app) {
            try await harness.drain(topic: "word-counts", partitions: 4, count: 20_000, timeout: .seconds(120))
        }
        #expect(app.state == .stopped, "failure: \(String(describing: app.failure))")
        #expect(app.processedRecords == 20_000)

        // Every key's counts 1...200 appear exactly once.
        var seen: [String: [Int]] = [:]
        for record in outputs { seen[record.keyString ?? "", default: []].append(Int(record.valueString ?? "") ?? -1) }
        #expect(outputs.count == 20_000, "aborts: \(app.transactionAborts)")
        #expect(seen.count == 100)
        #expect(seen.values.allSatisfy { $0.sorted() == Array(1...200) })

        // The stores on disk hold the final counts.
        let driver = try TopologyTestDriver(topology: countingTopology(), applicationID: applicationID,
                                            partitions: ["words": 4, "word-counts": 4], stateDirectory: harness.stateDirectory)
        let store = try driver.keyValueStore("counts", key: String.self, value: Int.self)
        for key in keys { #expect(try store.get(key) == 200, "\(key)") }
        driver.close()
    }
}
