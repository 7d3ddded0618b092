/// A type that writes its ``BinarySerde`` encoding itself, without going through `Encoder`.
///
/// ``BinarySerde`` encodes such a type with ``encode(to:)`` instead of its `Encodable`
/// conformance: several times faster for the values a store rewrites on every record (an
/// entity, its history). Decoding still goes through `Decodable`, so the bytes must be exactly
/// those `encode(to: Encoder)` produces in the format described at ``BinaryCodec`` (a test
/// should compare them), and readers using either path read the same store.
///
/// ```swift
/// extension Order: BinaryDirectEncodable {
///     func encode(to writer: inout BinaryWriter) {
///         writer.field("id", id)          // in the order the synthesized encode(to:) writes
///         writer.field("amount", amount)
///     }
/// }
/// ```
public protocol BinaryDirectEncodable: Encodable {
    /// Appends the value's binary encoding (a keyed value's entries, in `encode(to:)`'s order).
    func encode(to writer: inout BinaryWriter)
}

/// Appends values to a buffer in the format described at ``BinaryCodec``; see
/// ``BinaryDirectEncodable``.
public struct BinaryWriter {
    @usableFromInline var storage: [UInt8]

    /// The bytes written so far.
    public var bytes: [UInt8] { storage }

    /// Creates an empty writer with room for 256 bytes (a typical entity fits without regrowing).
    @inlinable
    public init() {
        storage = []
        storage.reserveCapacity(256)
    }

    /// Writes a keyed entry holding a string (or a `String` raw value).
    @inlinable
    public mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count + 1))
            storage.append(contentsOf: utf8)
        }
    }

    /// Writes a keyed entry holding an enum coded as its `String` raw value.
    @inlinable
    public mutating func field<Value: RawRepresentable<String>>(_ key: StaticString, _ value: Value) {
        field(key, value.rawValue)
    }

    /// Writes a keyed entry holding a signed integer (a zigzag varint).
    @inlinable
    public mutating func field(_ key: StaticString, _ value: Int) {
        field(key, Int64(value))
    }

    /// Writes a keyed entry holding a signed 64-bit integer (a zigzag varint).
    @inlinable
    public mutating func field(_ key: StaticString, _ value: Int64) {
        writeKey(key)
        let zigzag = UInt64(bitPattern: (value &<< 1) ^ (value >> 63))
        writeVarint(UInt64((64 - zigzag.leadingZeroBitCount + 6) / 7 + (zigzag == 0 ? 1 : 0) + 1))
        writeVarint(zigzag)
    }

    /// Writes a keyed entry holding a `Bool` (one byte).
    @inlinable
    public mutating func field(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        storage.append(2)
        storage.append(value ? 1 : 0)
    }

    /// Writes a keyed entry holding a `Double` (eight bytes, little-endian).
    @inlinable
    public mutating func field(_ key: StaticString, _ value: Double) {
        writeKey(key)
        storage.append(9)
        var bits = value.bitPattern
        for _ in 0..<8 {
            storage.append(UInt8(truncatingIfNeeded: bits))
            bits &>>= 8
        }
    }

    /// Writes a keyed entry holding a nested value.
    @inlinable
    public mutating func field<Value: BinaryDirectEncodable>(_ key: StaticString, _ value: Value) {
        writeKey(key)
        frame { value.encode(to: &$0) }
    }

    /// Writes a keyed entry for an optional the way `encodeIfPresent` does: nothing when `nil`.
    @inlinable
    public mutating func field(_ key: StaticString, ifPresent value: String?) {
        if let value { field(key, value) }
    }

    /// Writes a keyed entry for an optional the way `encodeIfPresent` does: nothing when `nil`.
    @inlinable
    public mutating func field(_ key: StaticString, ifPresent value: Int64?) {
        if let value { field(key, value) }
    }

    /// Writes the elements of an array or other unkeyed sequence: the count, then every
    /// element behind its header. Use it as a value's only content.
    @inlinable
    public mutating func elements<Elements: Collection>(_ elements: Elements)
    where Elements.Element: BinaryDirectEncodable {
        writeVarint(UInt64(elements.count))
        for element in elements { frame { element.encode(to: &$0) } }
    }

    /// Writes a frame: a header (`length + 1`) then what `body` writes.
    @inlinable
    mutating func frame(_ body: (inout BinaryWriter) -> Void) {
        let headerAt = storage.count
        storage.append(0)
        body(&self)
        BinaryVarint.patch(storage.count - headerAt, at: headerAt, in: &storage)  // content length + 1
    }

    @inlinable
    mutating func writeKey(_ key: StaticString) {
        key.withUTF8Buffer { utf8 in
            writeVarint(UInt64(utf8.count))
            storage.append(contentsOf: utf8)
        }
    }

    @inlinable
    mutating func writeVarint(_ value: UInt64) { BinaryVarint.append(value, to: &storage) }
}

extension Array: BinaryDirectEncodable where Element: BinaryDirectEncodable {
    /// Writes the count, then every element behind its header (as `Array.encode(to:)` does).
    @inlinable
    public func encode(to writer: inout BinaryWriter) { writer.elements(self) }
}
