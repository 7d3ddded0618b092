/// A serde that passes bytes through unchanged.
///
/// Use it for payloads the topology forwards without inspecting, or that a processor
/// decodes itself.
public struct BytesSerde: Serde {
    /// Creates an identity serde.
    public init() {}

    /// Returns the bytes unchanged.
    ///
    /// - Parameter value: The bytes.
    /// - Returns: The same bytes.
    /// - Throws: Never; the signature is ``FlowstateError`` to satisfy ``Serde``.
    public func serialize(_ value: [UInt8]) throws(FlowstateError) -> [UInt8] {
        value
    }

    /// Returns the bytes unchanged.
    ///
    /// - Parameter bytes: The bytes.
    /// - Returns: The same bytes.
    /// - Throws: Never; the signature is ``FlowstateError`` to satisfy ``Serde``.
    public func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> [UInt8] {
        bytes
    }
}

extension Serde where Self == BytesSerde {
    /// An identity serde for raw bytes, as in `value: .bytes`.
    public static var bytes: BytesSerde { BytesSerde() }
}
