public import FlowstateKafka

/// A record flowing through a topology: key, value, timestamp and headers.
public struct Record<Key, Value> {
    /// The record's key.
    public var key: Key
    /// The record's value.
    public var value: Value
    /// Event time in milliseconds since the epoch.
    public var timestamp: Int64
    /// Headers, carried from the input to outputs unless replaced.
    public var headers: [KafkaHeader]

    /// Creates a record.
    public init(key: Key, value: Value, timestamp: Int64, headers: [KafkaHeader] = []) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }

    /// A copy with another key and value, keeping timestamp and headers.
    public func with<K, V>(key: K, value: V) -> Record<K, V> {
        Record<K, V>(key: key, value: value, timestamp: timestamp, headers: headers)
    }

    /// A copy with another value, keeping key, timestamp and headers.
    public func with<V>(value: V) -> Record<Key, V> {
        Record<Key, V>(key: key, value: value, timestamp: timestamp, headers: headers)
    }
}

extension Record: Sendable where Key: Sendable, Value: Sendable {}
extension Record: Equatable where Key: Equatable, Value: Equatable {}
