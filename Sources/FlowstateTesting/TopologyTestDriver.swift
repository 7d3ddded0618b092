public import Flowstate
public import FlowstateKafka
import Foundation

/// Runs a ``Topology`` synchronously with no Kafka at all.
///
/// Pipe records into input topics, read what the topology wrote to output topics, read its
/// stores, advance the wall clock to fire punctuations and timers. The processors and stores
/// are the ones a stream thread runs; each piped record is processed and committed at once,
/// and outputs to topics the topology itself reads are fed back in.
///
/// ```swift
/// let driver = try TopologyTestDriver(topology: topology)
/// let words = driver.inputTopic("words", key: .string, value: .string)
/// let counts = driver.outputTopic("word-counts", key: .string, value: .json(Int.self))
/// try words.pipeInput(key: "a", value: "a")
/// #expect(counts.readKeyValuesToMap() == ["a": 1])
/// ```
public final class TopologyTestDriver {
    let runner: TopologyRunner
    private let ownsStateDirectory: Bool
    /// Where persistent stores keep their RocksDB files.
    public let stateDirectory: String

    /// Creates a driver.
    ///
    /// - Parameters:
    ///   - topology: The topology to run.
    ///   - applicationID: Names internal topics (`<id>-<store>-changelog`, `<id>-dlq`). Default: `"test"`.
    ///   - partitions: Partition counts by topic; others have 1. Sinks choose partitions as in Kafka.
    ///   - stateDirectory: Where persistent stores live; default: a fresh temporary directory,
    ///     removed by ``close()``. Pass the same directory to a new driver to test restarts.
    ///   - startTime: The wall clock's start, in milliseconds since the epoch. Default: 0.
    ///   - failOnDeserializationError: Throw instead of dead-lettering undecodable records. Default: `false`.
    /// - Throws: ``TopologyError`` when the partition counts break co-partitioning, or
    ///   ``FlowstateError`` when a store cannot be opened.
    public init(topology: Topology, applicationID: String = "test", partitions: [String: Int] = [:],
                stateDirectory: String? = nil, startTime: Int64 = 0, failOnDeserializationError: Bool = false) throws {
        let directory = stateDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("flowstate-test-\(UUID().uuidString)").path
        self.stateDirectory = directory
        ownsStateDirectory = stateDirectory == nil
        runner = try TopologyRunner(topology: topology, applicationID: applicationID, stateDirectory: directory,
                                    partitions: partitions, startTime: startTime,
                                    deserializationErrorHandling: failOnDeserializationError ? .fail : .deadLetter)
    }

    /// A typed handle to pipe records into `topic`.
    public func inputTopic<K, V>(_ topic: String, key: some Serde<K>, value: some Serde<V>) -> TestInputTopic<K, V> {
        TestInputTopic(driver: self, topic: topic, keySerde: key, valueSerde: value)
    }

    /// A typed handle to read what the topology wrote to `topic`.
    public func outputTopic<K, V>(_ topic: String, key: some Serde<K>, value: some Serde<V>) -> TestOutputTopic<K, V> {
        TestOutputTopic(driver: self, topic: topic, keySerde: key, valueSerde: value)
    }

    /// The store `name` across all tasks (each key lives in the task of its partition).
    ///
    /// - Throws: ``TopologyError`` for an unknown store or other key/value types.
    public func keyValueStore<K, V>(_ name: String, key: K.Type = K.self, value: V.Type = V.self) throws -> TestKeyValueStore<K, V> {
        try runner.createAllTasks()
        let stores = try runner.stores(name, key: K.self, value: V.self)
        guard !stores.isEmpty else { throw TopologyError(.unknownStore, "no store named \(name)") }
        return TestKeyValueStore(stores: stores)
    }

    /// The wall clock, in milliseconds since the epoch.
    public var wallClockTime: Int64 { runner.wallClockTime }

    /// Advances the wall clock and fires due wall-clock punctuations (and the timers they drive).
    ///
    /// - Throws: What a punctuator throws.
    public func advanceWallClockTime(by duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        try runner.advanceWallClock(by: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// Every raw record written to `topic` so far (outputs, changelogs, dead letters), in order.
    public func records(of topic: String) -> [KafkaConsumerRecord] { runner.logs[topic] ?? [] }

    /// The records sent to the dead-letter topic, with their reasons.
    public var deadLetters: [DeadLetterRecord] {
        records(of: runner.deadLetterTopic).map(DeadLetterRecord.init)
    }

    /// Closes the tasks; removes the state directory if the driver created it.
    public func close() {
        runner.close()
        if ownsStateDirectory { try? FileManager.default.removeItem(atPath: stateDirectory) }
    }

    deinit { close() }
}

/// A record that reached the dead-letter topic.
public struct DeadLetterRecord: Sendable {
    /// The original key bytes.
    public var key: [UInt8]?
    /// The original value bytes.
    public var value: [UInt8]?
    /// Why it was rejected.
    public var reason: String
    /// `deserialization` or `processing`.
    public var stage: String
    /// `topic:partition:offset` of the original record.
    public var origin: String

    init(_ record: KafkaConsumerRecord) {
        key = record.key
        value = record.value
        reason = record.headers.last(named: "flowstate.dlq.reason")?.stringValue ?? ""
        stage = record.headers.last(named: "flowstate.dlq.stage")?.stringValue ?? ""
        origin = record.headers.last(named: "flowstate.dlq.origin")?.stringValue ?? ""
    }
}
