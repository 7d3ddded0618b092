/// Converts values of one type to bytes and back, at topic boundaries and inside state stores.
///
/// Flowstate ships four serdes, each reachable as a static member so call sites read
/// naturally wherever a `some Serde<V>` is expected:
///
/// | member | type | bytes |
/// |---|---|---|
/// | ``Serde/string`` | ``StringSerde`` | UTF-8 text; keys |
/// | ``Serde/bytes`` | ``BytesSerde`` | the bytes themselves |
/// | ``Serde/json(_:)`` | ``JSONSerde`` | JSON; values at topic boundaries |
/// | ``Serde/binary(_:)`` | ``BinarySerde`` | compact binary; values inside state stores |
///
/// ```swift
/// builder.addSource("orders", topics: ["orders"], key: .string, value: .json(Order.self))
/// ```
///
/// - Important: Serdes are shared between stream threads, so conforming types must be
///   `Sendable` and their methods safe to call concurrently.
public protocol Serde<Value>: Sendable {
    /// The type this serde converts.
    associatedtype Value

    /// Encodes a value into bytes.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` if the
    ///   value cannot be encoded.
    func serialize(_ value: Value) throws(FlowstateError) -> [UInt8]

    /// Decodes a value from bytes.
    ///
    /// - Parameter bytes: Bytes produced by ``serialize(_:)`` (or by another writer of the
    ///   same format).
    /// - Returns: The decoded value.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` if the
    ///   bytes are not a valid encoding of a `Value`; never traps on malformed input.
    func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> Value
}
