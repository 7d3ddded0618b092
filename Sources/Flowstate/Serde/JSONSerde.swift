/// A serde for `Codable` values as JSON, the format at every topic boundary.
///
/// Standard JSON (RFC 8259) as Foundation's `JSONEncoder`/`JSONDecoder` write and read it
/// (unsorted keys in the order the value encodes them, no whitespace), except that dates are
/// ISO-8601 strings (`2024-05-01T12:00:00Z`) in both directions and `/` is not escaped, so
/// services in other languages can read and write the same records. `Data` is Base64, `URL` a
/// string, `Decimal` a number.
///
/// Encoding and decoding run on Flowstate's own coders (`FastJSONEncoder`,
/// `FastJSONDecoder`): they write bytes directly and read values in place, several times
/// faster than Foundation's coders, which build an intermediate tree (see
/// `benchmarks/RESULTS.md`).
///
/// - Note: Dates are written with whole-second precision (`2024-05-01T12:00:00Z`, sub-second
///   parts dropped); reading accepts fractional seconds and UTC offsets as other services
///   write them. Keep sub-second timestamps that must round-trip in a numeric field. JSON
///   has no representation for `Double.nan` or the infinities: serializing them throws
///   ``FlowstateError/Code/serialization``. Malformed input (bad syntax, invalid UTF-8,
///   nesting deeper than 512 levels) throws ``FlowstateError/Code/deserialization`` naming
///   the byte offset.
/// - Important: The serde holds no mutable state; every call encodes or decodes with coders
///   of its own, so one serde is safe to use from many threads at once.
public struct JSONSerde<Value: Codable>: Serde {
    /// `Value`'s direct decoding, if it has one (see ``JSONDirectDecodable``).
    private let direct: (any JSONDirectDecoding<Value>)?
    /// `Value`'s direct encoding, if it has one (see ``JSONDirectEncodable``).
    private let directEncoding: (any JSONDirectEncoding<Value>)?

    /// Creates a JSON serde for `Value`.
    public init() {
        if let type = Value.self as? any JSONDirectDecodable.Type {
            direct = Self.directDecoding(type)
        } else {
            direct = nil
        }
        if let type = Value.self as? any JSONDirectEncodable.Type {
            directEncoding = Self.directEncoding(type)
        } else {
            directEncoding = nil
        }
    }

    private static func directEncoding<Direct: JSONDirectEncodable>(_: Direct.Type) -> any JSONDirectEncoding<Value> {
        DirectEncoding<Direct, Value>()
    }

    private static func directDecoding<Direct: JSONDirectDecodable>(_: Direct.Type) -> any JSONDirectDecoding<Value> {
        DirectDecoding<Direct, Value>()
    }

    /// Encodes a value as JSON.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: UTF-8 JSON bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` naming
    ///   the type and the coding path, e.g. for a non-finite `Double`.
    public func serialize(_ value: Value) throws(FlowstateError) -> [UInt8] {
        if let directEncoding { return directEncoding.encode(value) }
        do {
            return try FastJSONEncoder.encode(value)
        } catch {
            throw FlowstateError(
                .serialization, "Cannot encode \(Value.self) as JSON: \(CodingErrorText.describe(error))",
                underlying: error)
        }
    }

    /// Decodes a value from JSON.
    ///
    /// - Parameter bytes: UTF-8 JSON bytes.
    /// - Returns: The decoded value.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` naming
    ///   the type and the coding path of the first problem (missing key, wrong type,
    ///   malformed JSON).
    public func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> Value {
        if let direct, let value = direct.decode(bytes) { return value }
        do {
            return try FastJSONDecoder.decode(Value.self, from: bytes)
        } catch {
            throw FlowstateError(
                .deserialization, "Cannot decode \(Value.self) from JSON: \(CodingErrorText.describe(error))",
                underlying: error)
        }
    }
}

extension Serde {
    /// A JSON serde for a `Codable` type, as in `value: .json(Order.self)`.
    ///
    /// - Parameter type: The type to encode and decode.
    /// - Returns: A ``JSONSerde`` for `type`.
    public static func json<T: Codable>(_ type: T.Type) -> JSONSerde<T> where Self == JSONSerde<T> {
        JSONSerde<T>()
    }
}

/// Decodes the `Value` of a ``JSONSerde`` that is ``JSONDirectDecodable``.
protocol JSONDirectDecoding<Value>: Sendable {
    associatedtype Value
    /// The value, or `nil` for input the direct reading does not accept.
    func decode(_ bytes: [UInt8]) -> Value?
}

/// The direct decoding of `Value`, which is `Direct` (checked when the serde is created).
private struct DirectDecoding<Direct: JSONDirectDecodable, Value>: JSONDirectDecoding {
    func decode(_ bytes: [UInt8]) -> Value? {
        FastJSONDecoder.decodeDirect(Direct.self, from: bytes).map { unsafeBitCast($0, to: Value.self) }
    }
}

/// Encodes the `Value` of a ``JSONSerde`` that is ``JSONDirectEncodable``.
protocol JSONDirectEncoding<Value>: Sendable {
    associatedtype Value
    func encode(_ value: Value) -> [UInt8]
}

/// The direct encoding of `Value`, which is `Direct` (checked when the serde is created).
private struct DirectEncoding<Direct: JSONDirectEncodable, Value>: JSONDirectEncoding {
    func encode(_ value: Value) -> [UInt8] {
        var object = JSONObjectWriter()
        unsafeBitCast(value, to: Direct.self).encode(to: &object)
        return object.finish()
    }
}
