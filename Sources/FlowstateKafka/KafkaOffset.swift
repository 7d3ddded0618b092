internal import CRdKafka

/// An offset in a partition, or one of Kafka's logical offsets.
public struct KafkaOffset: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw offset; negative values are logical offsets.
    public var rawValue: Int64

    /// Creates an offset from its raw value.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Creates a concrete offset.
    public init(_ offset: Int64) { self.rawValue = offset }

    /// The first offset still held by the partition.
    public static let beginning = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_BEGINNING))
    /// The offset the next produced record will get.
    public static let end = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_END))
    /// The group's committed offset (or `auto.offset.reset` when there is none).
    public static let stored = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_STORED))
    /// No offset: nothing committed, or position not yet known.
    public static let invalid = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_INVALID))

    /// Whether this is a concrete (non-negative) offset.
    public var isConcrete: Bool { rawValue >= 0 }

    /// Orders by raw value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The number, or the logical offset's name.
    public var description: String {
        switch self {
        case .beginning: "beginning"
        case .end: "end"
        case .stored: "stored"
        case .invalid: "invalid"
        default: String(rawValue)
        }
    }
}
