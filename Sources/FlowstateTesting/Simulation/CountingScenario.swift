package import Flowstate
package import FlowstateKafka

/// Scenario 1: counts records per key (like WordCount) into a logged RocksDB store and emits
/// each running count. Its model: the *n*-th record of a key yields count *n*, exactly once.
package struct CountingScenario: SimulationScenario {
    package let name = "counting"
    package let applicationID = "sim-count"
    package static let inputTopic = "words"
    package static let outputTopic = "word-counts"
    package static let storeName = "counts"
    /// Distinct keys drawn.
    package var keyCount = 12

    package init() {}

    package var topics: [String: Int] { [Self.inputTopic: 4, Self.outputTopic: 4] }
    package var checkedOutputTopics: [String] { [Self.outputTopic] }

    package func makeTopology() throws -> Topology {
        let builder = TopologyBuilder()
        builder.addStore(Stores.persistent(Self.storeName, key: .string, value: .binary(Int.self)))
        builder.addSource("words", topics: [Self.inputTopic], key: .string, value: .string)
            .process("count", stores: [Self.storeName]) { Count() }
            .to(topic: Self.outputTopic, key: .string, value: .json(Int.self))
        return try builder.build()
    }

    package func makeInput(_ random: inout SimulationRandom, after earlier: [SimulationInput]) -> SimulationInput {
        let key = "key-\(Int.random(in: 0..<keyCount, using: &random))"
        return SimulationInput(topic: Self.inputTopic, key: Array(key.utf8), value: Array("v\(random.next() % 1000)".utf8))
    }

    package func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation {
        let output: JSONSerde<Int> = .json(Int.self)
        let stored: BinarySerde<Int> = .binary(Int.self)
        var counts: [[UInt8]: Int] = [:]
        var outputs: [[UInt8]: [[UInt8]?]] = [:]
        for record in inputs where record.topic == Self.inputTopic {
            let key = record.key ?? []
            let count = (counts[key] ?? 0) + 1
            counts[key] = count
            outputs[key, default: []].append(try output.serialize(count))
        }
        var store: [[UInt8]: [UInt8]] = [:]
        for (key, count) in counts { store[key] = try stored.serialize(count) }
        return SimulationExpectation(outputs: [Self.outputTopic: outputs], stores: [Self.storeName: store])
    }

    /// Reads the key's count, adds one, stores and forwards it.
    struct Count: Processor {
        func process(_ record: Record<String, String>, context: ProcessorContext<String, Int>) throws {
            let counts = try context.keyValueStore(CountingScenario.storeName, key: String.self, value: Int.self)
            let count = (try counts.get(record.key) ?? 0) + 1
            try counts.put(record.key, count)
            try context.forward(record.with(value: count))
        }
    }
}
