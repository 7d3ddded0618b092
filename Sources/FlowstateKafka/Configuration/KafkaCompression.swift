/// A compression codec for produced record batches.
public struct KafkaCompression: Hashable, Sendable, CustomStringConvertible {
    /// librdkafka's name of the codec (`compression.type`).
    public let name: String
    private init(_ name: String) { self.name = name }

    /// No compression.
    public static let none = KafkaCompression("none")
    /// gzip.
    public static let gzip = KafkaCompression("gzip")
    /// Snappy.
    public static let snappy = KafkaCompression("snappy")
    /// LZ4: fast, and keeps the embedded broker's per-partition size limit further away.
    public static let lz4 = KafkaCompression("lz4")
    /// Zstandard.
    public static let zstd = KafkaCompression("zstd")

    /// The codec's librdkafka name.
    public var description: String { name }
}
