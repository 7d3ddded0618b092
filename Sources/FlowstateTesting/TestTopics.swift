import Flowstate
public import FlowstateKafka

/// A record read from a ``TestOutputTopic``.
public struct TestRecord<Key, Value> {
    /// The key.
    public var key: Key
    /// The value.
    public var value: Value
    /// The partition it was written to.
    public var partition: Int32
    /// Its timestamp (milliseconds).
    public var timestamp: Int64
    /// Its headers.
    public var headers: [KafkaHeader]
}

extension TestRecord: Equatable where Key: Equatable, Value: Equatable {}

/// Pipes typed records into a topic of a ``TopologyTestDriver``.
public struct TestInputTopic<Key, Value> {
    let driver: TopologyTestDriver
    /// The topic's name.
    public let topic: String
    let keySerde: any Serde<Key>
    let valueSerde: any Serde<Value>

    init(driver: TopologyTestDriver, topic: String, keySerde: any Serde<Key>, valueSerde: any Serde<Value>) {
        self.driver = driver
        self.topic = topic
        self.keySerde = keySerde
        self.valueSerde = valueSerde
    }

    /// Pipes one record and processes everything it causes.
    ///
    /// - Parameters:
    ///   - timestamp: Event time; default: the driver's wall clock.
    ///   - partition: Default: chosen from the key as Kafka does.
    /// - Throws: ``FlowstateError`` when encoding fails or processing fails the application.
    public func pipeInput(key: Key, value: Value, timestamp: Int64? = nil, headers: [KafkaHeader] = [],
                          partition: Int32? = nil) throws {
        try pipeRaw(key: keySerde.serialize(key), value: valueSerde.serialize(value), timestamp: timestamp,
                    headers: headers, partition: partition)
    }

    /// Pipes raw bytes (e.g. to test undecodable input).
    ///
    /// - Throws: ``FlowstateError`` when processing fails the application.
    public func pipeRaw(key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil, headers: [KafkaHeader] = [],
                        partition: Int32? = nil) throws {
        try driver.runner.pipe(topic: topic, partition: partition, key: key, value: value, headers: headers,
                               timestamp: timestamp ?? driver.wallClockTime)
    }
}

/// Reads typed records the topology wrote to a topic of a ``TopologyTestDriver``.
///
/// Each handle keeps its own read position, like a consumer.
public final class TestOutputTopic<Key, Value> {
    let driver: TopologyTestDriver
    /// The topic's name.
    public let topic: String
    let keySerde: any Serde<Key>
    let valueSerde: any Serde<Value>
    private var position = 0

    init(driver: TopologyTestDriver, topic: String, keySerde: any Serde<Key>, valueSerde: any Serde<Value>) {
        self.driver = driver
        self.topic = topic
        self.keySerde = keySerde
        self.valueSerde = valueSerde
    }

    /// Records not read yet.
    public var queueSize: Int { driver.records(of: topic).count - position }

    /// Whether every record was read.
    public var isEmpty: Bool { queueSize == 0 }

    /// Reads the next record, or `nil`.
    ///
    /// - Throws: ``FlowstateError`` when the record cannot be decoded with the handle's serdes.
    public func readRecord() throws -> TestRecord<Key, Value>? {
        let records = driver.records(of: topic)
        guard position < records.count else { return nil }
        let raw = records[position]
        position += 1
        return TestRecord(key: try keySerde.deserialize(raw.key ?? []), value: try valueSerde.deserialize(raw.value ?? []),
                          partition: raw.partition, timestamp: raw.timestamp, headers: raw.headers)
    }

    /// Reads every remaining record.
    ///
    /// - Throws: ``FlowstateError`` when a record cannot be decoded.
    public func readRecordsToList() throws -> [TestRecord<Key, Value>] {
        var records: [TestRecord<Key, Value>] = []
        while let record = try readRecord() { records.append(record) }
        return records
    }

    /// Reads every remaining record as (key, value) pairs.
    ///
    /// - Throws: ``FlowstateError`` when a record cannot be decoded.
    public func readKeyValues() throws -> [(key: Key, value: Value)] {
        try readRecordsToList().map { ($0.key, $0.value) }
    }
}

extension TestOutputTopic where Key: Hashable {
    /// Reads every remaining record; the last value per key wins.
    ///
    /// - Throws: ``FlowstateError`` when a record cannot be decoded.
    public func readKeyValuesToMap() throws -> [Key: Value] {
        var map: [Key: Value] = [:]
        for record in try readRecordsToList() { map[record.key] = record.value }
        return map
    }
}

/// Reads a store across all tasks of a ``TopologyTestDriver``.
public struct TestKeyValueStore<Key, Value> {
    let stores: [KeyValueStore<Key, Value>]

    /// The value for `key` in whichever task holds it.
    ///
    /// - Throws: ``FlowstateError`` on decoding failure.
    public func get(_ key: Key) throws -> Value? {
        for store in stores { if let value = try store.get(key) { return value } }
        return nil
    }

    /// Every entry of every task, in key order per task.
    ///
    /// - Throws: ``FlowstateError`` on decoding failure.
    public func all() throws -> [(key: Key, value: Value)] {
        try stores.flatMap { try $0.all() }
    }

    /// The sum of the tasks' approximate counts.
    ///
    /// - Throws: ``FlowstateError`` when a store is closed.
    public func approximateCount() throws -> Int {
        try stores.reduce(0) { $0 + (try $1.approximateCount()) }
    }
}
