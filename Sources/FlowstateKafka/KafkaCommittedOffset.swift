/// A group's committed offset for one partition, with the metadata string committed with it.
public struct KafkaCommittedOffset: Hashable, Sendable, CustomStringConvertible {
    /// The next offset to read; ``KafkaOffset/invalid`` when nothing is committed.
    public var offset: KafkaOffset
    /// The committed metadata, `nil` when none (or empty).
    public var metadata: String?

    /// Creates a committed offset.
    public init(_ offset: KafkaOffset, metadata: String? = nil) {
        self.offset = offset
        self.metadata = metadata
    }

    /// The offset, and the metadata in brackets when there is some.
    public var description: String { metadata.map { "\(offset) [\($0)]" } ?? "\(offset)" }
}
