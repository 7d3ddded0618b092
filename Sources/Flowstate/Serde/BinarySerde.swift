/// A serde for `Codable` values in Flowstate's compact binary encoding, for state stores.
///
/// Several times smaller and faster than JSON: integers are varints, doubles are eight
/// bytes, and nothing is quoted or escaped. Keys are written by name, so the encoding
/// tolerates one kind of change to `Value`:
///
/// - **Supported evolution**: add an `Optional` property (bytes written before the change
///   decode it as `nil`) or remove a property (its bytes are ignored).
/// - Renaming a property makes old bytes fail with ``FlowstateError/Code/deserialization``
///   (inside a store: ``FlowstateError/Code/undecodableStoredValue``, naming the key).
///   Changing a property's type usually fails too, but the bytes carry no types: old bytes
///   that happen to fit the new type are misread (an `Int` read as a `String`). See
///   `docs/upgrades.md`.
///
/// A `Value` conforming to ``BinaryDirectEncodable`` is encoded by its own
/// ``BinaryDirectEncodable/encode(to:)`` (the same bytes, without `Encoder`'s overhead).
///
/// - Important: Not a topic-boundary format: other languages cannot read it. Use
///   ``JSONSerde`` for topics.
public struct BinarySerde<Value: Codable>: Serde {
    /// `Value`'s direct encoding, if it has one.
    private let direct: (any BinaryDirectEncoding<Value>)?

    /// Creates a binary serde for `Value`.
    public init() {
        if let type = Value.self as? any BinaryDirectEncodable.Type {
            direct = Self.directEncoding(type)
        } else {
            direct = nil
        }
    }

    private static func directEncoding<Direct: BinaryDirectEncodable>(_: Direct.Type) -> any BinaryDirectEncoding<Value> {
        DirectEncoding<Direct, Value>()
    }

    /// Encodes a value in the binary format.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` naming the
    ///   type, if the value's `encode(to:)` throws.
    public func serialize(_ value: Value) throws(FlowstateError) -> [UInt8] {
        if let direct { return direct.encode(value) }
        return try BinaryCodec.encode(value)
    }

    /// Decodes a value from the binary format.
    ///
    /// - Parameter bytes: Bytes produced by ``serialize(_:)``.
    /// - Returns: The decoded value.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` naming
    ///   the type and the coding path, if the bytes are truncated, malformed or were written
    ///   for an incompatible type.
    public func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> Value {
        try BinaryCodec.decode(Value.self, from: bytes)
    }
}

extension Serde {
    /// A compact binary serde for a `Codable` type, as in `value: .binary(Counts.self)`.
    ///
    /// - Parameter type: The type to encode and decode.
    /// - Returns: A ``BinarySerde`` for `type`.
    public static func binary<T: Codable>(_ type: T.Type) -> BinarySerde<T> where Self == BinarySerde<T> {
        BinarySerde<T>()
    }
}

/// Encodes the `Value` of a ``BinarySerde`` that is ``BinaryDirectEncodable``.
protocol BinaryDirectEncoding<Value>: Sendable {
    associatedtype Value
    func encode(_ value: Value) -> [UInt8]
}

/// The direct encoding of `Value`, which is `Direct` (checked when the serde is created).
private struct DirectEncoding<Direct: BinaryDirectEncodable, Value>: BinaryDirectEncoding {
    func encode(_ value: Value) -> [UInt8] {
        var writer = BinaryWriter()
        unsafeBitCast(value, to: Direct.self).encode(to: &writer)
        return writer.bytes
    }
}
