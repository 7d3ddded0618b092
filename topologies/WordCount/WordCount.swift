public import Flowstate

/// Counts records per key: the smallest stateful topology, used to test pods and the engine.
///
/// Reads `words` (key and value UTF-8 strings), keeps a persistent `counts` store keyed by the
/// record key with a changelog, and writes the running count per key to `word-counts` as JSON.
public enum WordCount {
    /// The input topic.
    public static let inputTopic = "words"
    /// The output topic.
    public static let outputTopic = "word-counts"
    /// The store holding the count per key.
    public static let storeName = "counts"

    /// Builds the topology.
    ///
    /// - Throws: ``TopologyError`` (never, for this fixed graph).
    public static func topology() throws -> Topology {
        let builder = TopologyBuilder()
        builder.addStore(Stores.persistent(storeName, key: .string, value: .binary(Int.self)))
        builder.addSource("words", topics: [inputTopic], key: .string, value: .string)
            .process("count", stores: [storeName]) { CountStep() }
            .to(topic: outputTopic, key: .string, value: .json(Int.self))
        return try builder.build()
    }

    /// Reads the key's count, adds one, stores and forwards it.
    struct CountStep: Processor {
        func process(_ record: Record<String, String>, context: ProcessorContext<String, Int>) throws {
            let counts = try context.keyValueStore(WordCount.storeName, key: String.self, value: Int.self)
            let count = (try counts.get(record.key) ?? 0) + 1
            try counts.put(record.key, count)
            try context.forward(record.with(value: count))
        }
    }
}
