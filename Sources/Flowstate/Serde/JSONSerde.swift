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
    /// Creates a JSON serde for `Value`.
    public init() {}

    /// Encodes a value as JSON.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: UTF-8 JSON bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` naming
    ///   the type and the coding path, e.g. for a non-finite `Double`.
    public func serialize(_ value: Value) throws(FlowstateError) -> [UInt8] {
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
