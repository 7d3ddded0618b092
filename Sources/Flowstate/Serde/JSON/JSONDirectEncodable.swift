/// An `Encodable` type that writes its JSON object directly, without `Encoder`'s containers.
///
/// ``JSONSerde`` encodes such a type with ``encode(to:)``, several times faster for the values
/// a topology writes on every record. The bytes must be exactly those `encode(to: Encoder)`
/// produces through ``JSONSerde`` (members in the same order; a test should compare them).
///
/// ```swift
/// extension Order: JSONDirectEncodable {
///     func encode(to object: inout JSONObjectWriter) {
///         object.field("id", id)
///         object.field("amount", amount)
///     }
/// }
/// ```
public protocol JSONDirectEncodable: Encodable {
    /// Writes the value's members, in `encode(to:)`'s order.
    func encode(to object: inout JSONObjectWriter)
}

/// Writes the members of one JSON object for ``JSONDirectEncodable``, as ``JSONSerde`` writes
/// them (no whitespace, `/` not escaped).
public struct JSONObjectWriter {
    var bytes: [UInt8]
    var empty = true

    init() {
        bytes = []
        bytes.reserveCapacity(256)
        bytes.append(JSONByte.openBrace)
    }

    /// Writes a string member.
    public mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        JSONOutput.appendString(value, to: &bytes)
    }

    /// Writes an integer member.
    public mutating func field(_ key: StaticString, _ value: Int) {
        writeKey(key)
        JSONOutput.appendInteger(value, to: &bytes)
    }

    /// Writes a 64-bit integer member.
    public mutating func field(_ key: StaticString, _ value: Int64) {
        writeKey(key)
        JSONOutput.appendInteger(value, to: &bytes)
    }

    /// Writes a `Bool` member.
    public mutating func field(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        bytes.append(contentsOf: value ? JSONObjectWriter.trueBytes : JSONObjectWriter.falseBytes)
    }

    /// Writes an enum member coded as its `String` raw value.
    @inlinable
    public mutating func field<Value: RawRepresentable<String>>(_ key: StaticString, _ value: Value) {
        field(key, value.rawValue)
    }

    /// Writes a string member the way `encodeIfPresent` does: nothing when `nil`.
    public mutating func field(_ key: StaticString, ifPresent value: String?) {
        if let value { field(key, value) }
    }

    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)

    private mutating func writeKey(_ key: StaticString) {
        if empty { empty = false } else { bytes.append(JSONByte.comma) }
        key.withUTF8Buffer { JSONOutput.appendString(utf8: $0, to: &bytes) }
        bytes.append(JSONByte.colon)
    }

    /// The object, closed.
    mutating func finish() -> [UInt8] {
        bytes.append(JSONByte.closeBrace)
        return bytes
    }
}
