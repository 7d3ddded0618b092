/// A serde for text, encoded as UTF-8 without a terminator or length prefix.
///
/// The usual choice for keys: the encoding preserves byte-wise prefix order, so a
/// store's prefix scan with a string prefix finds every key that starts with it.
public struct StringSerde: Serde {
    /// Creates a UTF-8 string serde.
    public init() {}

    /// Encodes a string as UTF-8.
    ///
    /// - Parameter value: The string to encode.
    /// - Returns: The string's UTF-8 bytes.
    /// - Throws: Never; the signature is ``FlowstateError`` to satisfy ``Serde``.
    public func serialize(_ value: String) throws(FlowstateError) -> [UInt8] {
        Array(value.utf8)
    }

    /// Decodes UTF-8 bytes into a string, rejecting invalid UTF-8.
    ///
    /// - Parameter bytes: UTF-8 bytes.
    /// - Returns: The decoded string.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` if the
    ///   bytes are not valid UTF-8.
    public func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> String {
        // Decoding repairs invalid UTF-8 with U+FFFD, so the input was valid exactly when the
        // string's bytes are the input (faster than the generic `String(validating:as:)`).
        var string = String(decoding: bytes, as: UTF8.self)
        let valid = string.withUTF8 { utf8 in
            utf8.count == bytes.count && bytes.withUnsafeBufferPointer { $0.elementsEqual(utf8) }
        }
        guard valid else {
            throw FlowstateError(.deserialization, "Cannot decode String: \(bytes.count) bytes are not valid UTF-8")
        }
        return string
    }
}

extension Serde where Self == StringSerde {
    /// A UTF-8 string serde, as in `key: .string`.
    public static var string: StringSerde { StringSerde() }
}
