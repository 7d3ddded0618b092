import Foundation

/// A serde for `Codable` values as JSON, the format at every topic boundary.
///
/// Output is Foundation's default (unsorted keys, no whitespace) except that dates are
/// ISO-8601 strings (`2024-05-01T12:00:00Z`) in both directions, so services in other
/// languages can read and write the same records.
///
/// - Note: Dates are written with whole-second precision (`2024-05-01T12:00:00Z`, sub-second
///   parts dropped); reading accepts fractional seconds and UTC offsets as other services
///   write them. Keep sub-second timestamps that must round-trip in a numeric field. JSON
///   has no representation for `Double.nan` or the infinities: serializing them throws
///   ``FlowstateError/Code/serialization``.
/// - Important: One encoder and one decoder are created per serde and shared by every
///   call; Foundation's `JSONEncoder`/`JSONDecoder` are safe to use concurrently (their
///   options sit behind a lock and each call encodes with its own state).
public struct JSONSerde<Value: Codable>: Serde {
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    /// Creates a JSON serde for `Value`.
    public init() {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Encodes a value as JSON.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: UTF-8 JSON bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` naming
    ///   the type and the coding path, e.g. for a non-finite `Double`.
    public func serialize(_ value: Value) throws(FlowstateError) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
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
            return try decoder.decode(Value.self, from: Data(bytes))
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
