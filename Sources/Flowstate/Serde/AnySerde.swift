/// A type-erased ``Serde``, for storing serdes of different concrete types side by side.
///
/// ```swift
/// let serdes: [AnySerde<String>] = [AnySerde(.string), AnySerde(.json(String.self))]
/// ```
public struct AnySerde<Value>: Serde {
    private let serializer: @Sendable (Value) throws(FlowstateError) -> [UInt8]
    private let deserializer: @Sendable ([UInt8]) throws(FlowstateError) -> Value

    /// Wraps a serde, forwarding both directions to it.
    ///
    /// - Parameter serde: The serde to wrap; an ``AnySerde`` is not wrapped twice.
    public init<S: Serde>(_ serde: S) where S.Value == Value {
        if let erased = serde as? AnySerde<Value> {
            self = erased
            return
        }
        serializer = { value throws(FlowstateError) in try serde.serialize(value) }
        deserializer = { bytes throws(FlowstateError) in try serde.deserialize(bytes) }
    }

    /// Creates a serde from a pair of closures.
    ///
    /// - Parameters:
    ///   - serialize: Encodes a value; throws a ``FlowstateError`` with code
    ///     ``FlowstateError/Code/serialization`` on failure.
    ///   - deserialize: Decodes bytes; throws a ``FlowstateError`` with code
    ///     ``FlowstateError/Code/deserialization`` on failure.
    public init(
        serialize: @escaping @Sendable (Value) throws(FlowstateError) -> [UInt8],
        deserialize: @escaping @Sendable ([UInt8]) throws(FlowstateError) -> Value
    ) {
        serializer = serialize
        deserializer = deserialize
    }

    /// Encodes a value with the wrapped serde.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes.
    /// - Throws: The wrapped serde's ``FlowstateError`` (code ``FlowstateError/Code/serialization``).
    public func serialize(_ value: Value) throws(FlowstateError) -> [UInt8] {
        try serializer(value)
    }

    /// Decodes bytes with the wrapped serde.
    ///
    /// - Parameter bytes: The encoded bytes.
    /// - Returns: The decoded value.
    /// - Throws: The wrapped serde's ``FlowstateError`` (code ``FlowstateError/Code/deserialization``).
    public func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> Value {
        try deserializer(bytes)
    }
}
