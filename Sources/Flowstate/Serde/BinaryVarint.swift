/// The unsigned LEB128 varints of `BinarySerde`'s format (lengths, counts, frame headers),
/// shared by ``BinaryEncoder`` and ``BinaryWriter``.
@usableFromInline
enum BinaryVarint {
    /// Appends `value`, seven bits per byte, low bits first.
    @inlinable
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value &>>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Replaces the one-byte placeholder at `index` with `value` (widening it when needed).
    @inlinable
    static func patch(_ value: Int, at index: Int, in bytes: inout [UInt8]) {
        if value < 0x80 {
            bytes[index] = UInt8(truncatingIfNeeded: value)
        } else {
            var encoded: [UInt8] = []
            append(UInt64(value), to: &encoded)
            bytes.replaceSubrange(index...index, with: encoded)
        }
    }
}
