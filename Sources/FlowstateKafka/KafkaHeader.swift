/// A record header: a name and an optional byte value.
public struct KafkaHeader: Hashable, Sendable {
    /// The header's name.
    public var key: String
    /// The header's value; `nil` is a header with a null value.
    public var value: [UInt8]?

    /// Creates a header with a byte value.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// Creates a header with a UTF-8 string value.
    public init(key: String, string: String) {
        self.key = key
        self.value = Array(string.utf8)
    }

    /// The value decoded as UTF-8, if any.
    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

extension Array where Element == KafkaHeader {
    /// The value of the last header named `key`, as Kafka's clients resolve duplicates.
    public func last(named key: String) -> KafkaHeader? {
        last { $0.key == key }
    }
}
