/// A `Decodable` type that reads its JSON object's members directly, without `Decoder`'s
/// containers.
///
/// ``JSONSerde`` decodes such a type with ``init(json:)`` first, several times faster for the
/// values a topology reads on every record. Anything the direct reading does not accept (a
/// missing key, a wrong type, an unknown raw value, malformed JSON) makes the serde decode the
/// bytes again through `Decodable`, which returns the value or throws its usual error; so
/// ``init(json:)`` must read exactly what `init(from:)` reads, and may simply throw on anything
/// unusual.
///
/// ```swift
/// extension Order: JSONDirectDecodable {
///     init(json object: inout JSONObjectReader) throws {
///         self.init(id: try object.string("id"), amount: try object.int("amount"))
///     }
/// }
/// ```
public protocol JSONDirectDecodable: Decodable {
    /// Reads the value from the members of its JSON object, in `init(from:)`'s order.
    ///
    /// - Throws: Any error, for input the serde should decode through `Decodable` instead.
    init(json object: inout JSONObjectReader) throws
}

/// The members of one JSON object, read by key for ``JSONDirectDecodable``.
public struct JSONObjectReader {
    let decoder: FastJSONDecoder
    let members: Range<Int>
    let slot: Int

    /// The string under `key`.
    ///
    /// - Throws: `DecodingError` if the key is missing or its value is not a string.
    public mutating func string(_ key: StaticString) throws -> String {
        try decoder.decodeString(at: offset(key), path: [])
    }

    /// The string under `key`, or `nil` if the key is missing or `null` (as `decodeIfPresent`).
    ///
    /// - Throws: `DecodingError` if the value is neither a string nor `null`.
    public mutating func string(ifPresent key: StaticString) throws -> String? {
        guard let offset = find(key), !decoder.reader.isNull(at: offset) else { return nil }
        return try decoder.decodeString(at: offset, path: [])
    }

    /// The integer under `key`.
    ///
    /// - Throws: `DecodingError` if the key is missing or its value is not an `Int`.
    public mutating func int(_ key: StaticString) throws -> Int {
        try decoder.decodeInteger(Int.self, at: offset(key), path: [])
    }

    /// The 64-bit integer under `key`.
    ///
    /// - Throws: `DecodingError` if the key is missing or its value is not an `Int64`.
    public mutating func int64(_ key: StaticString) throws -> Int64 {
        try decoder.decodeInteger(Int64.self, at: offset(key), path: [])
    }

    /// The `Bool` under `key`.
    ///
    /// - Throws: `DecodingError` if the key is missing or its value is not a `Bool`.
    public mutating func bool(_ key: StaticString) throws -> Bool {
        try decoder.decodeBool(at: offset(key), path: [])
    }

    /// The enum under `key`, coded as its `String` raw value.
    ///
    /// - Throws: `DecodingError` if the key is missing, its value is not a string, or no case has it as raw value.
    @inlinable
    public mutating func value<Value: RawRepresentable<String>>(_ key: StaticString, as type: Value.Type = Value.self)
        throws -> Value
    {
        guard let value = Value(rawValue: try string(key)) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: "unknown raw value"))
        }
        return value
    }

    private func offset(_ key: StaticString) throws -> Int {
        guard let offset = find(key) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: "missing key"))
        }
        return offset
    }

    private func find(_ key: StaticString) -> Int? {
        key.withUTF8Buffer { decoder.find(utf8: $0, in: members, slot: slot) }
    }
}

extension FastJSONDecoder {
    /// Decodes `type` with its ``JSONDirectDecodable/init(json:)``, or returns `nil` for input
    /// it does not accept (the caller then decodes through `Decodable`).
    package static func decodeDirect<T: JSONDirectDecodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        bytes.withUnsafeBufferPointer { buffer -> T? in
            guard let start = try? validatedStart(of: buffer) else { return nil }
            let decoder = FastJSONDecoder(reader: JSONValueReader(bytes: buffer), position: start, codingPath: [])
            guard let (members, slot) = try? decoder.openObject(at: start) else { return nil }
            var object = JSONObjectReader(decoder: decoder, members: members, slot: slot)
            return try? T(json: &object)
        }
    }
}
