import Foundation

/// Flowstate's compact binary encoding for `Codable` values inside state stores.
///
/// The engine uses it for its own envelopes; users reach it through ``BinarySerde``.
/// It is not a topic-boundary format: other languages cannot read it.
///
/// ## Wire format
///
/// A value is written according to its static type:
///
/// - **Built-in types** — `Bool` one byte (0/1); `Int8`/`UInt8` one raw byte; other
///   signed integers zigzag LEB128 varints; other unsigned integers LEB128 varints;
///   `Float`/`Double` 4/8 bytes little-endian IEEE 754 (NaN, infinities and -0.0 round-trip);
///   `String` UTF-8; `[UInt8]` and `Data` raw bytes; `Date` an 8-byte `Double` of
///   `timeIntervalSinceReferenceDate` (bit-exact round trip); `Decimal` its
///   `description`; `URL` its `absoluteString`. Variable-length values carry a varint
///   byte count where nothing else delimits them.
/// - **Keyed containers** (structs, classes, `[String: V]`, `[Int: V]`) — a sequence of
///   entries `key, header, value`: the key is a varint length and the UTF-8 of its
///   `stringValue`; the header is a varint `0` for an explicit nil or `length + 1`; the
///   value is exactly `length` bytes. The container ends where its enclosing value ends,
///   so no count is written. Absent keys (`encodeIfPresent` of nil) have no entry.
/// - **Unkeyed containers** (arrays, sets) — a varint element count, then the elements:
///   built-in types in their self-delimiting form (strings, bytes, decimals and URLs
///   length-prefixed), every other element behind a header as in keyed containers
///   (`0` = nil, else `length + 1`).
/// - **Single-value containers** — the value alone, filling the enclosing value; an
///   explicit nil is the enclosing header `0`. When a single value is itself a non-built-in
///   value coded through its own single-value container (an `Optional` of a wrapper type,
///   `Int??`), each further level — and the first level at the top, which has no header —
///   is preceded by a presence byte, `0` nil or `1` present. A keyed or unkeyed container
///   ends the chain.
///
/// ## Evolution
///
/// Decoding looks keys up by name in any order and ignores unknown keys, so a type may
/// **add an `Optional` property** (old bytes decode it as `nil`) or **remove a property**.
/// Renaming a property, changing its type, or adding a non-optional property without a
/// custom `init(from:)` default is not compatible.
///
/// ## Limits
///
/// Values nest at most ``maximumDepth`` levels deep; deeper values fail to encode, and
/// bytes claiming deeper nesting fail to decode instead of exhausting the stack.
package enum BinaryCodec {
    /// How many containers deep a value may nest.
    package static let maximumDepth = 256

    /// Encodes a value in the binary format.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/serialization`` if the
    ///   value's `encode(to:)` throws or misuses its containers.
    package static func encode<T: Encodable>(_ value: T) throws(FlowstateError) -> [UInt8] {
        do {
            return try BinaryEncoder.encode(value)
        } catch {
            throw FlowstateError(
                .serialization, "Cannot encode \(T.self) as binary: \(CodingErrorText.describe(error))",
                underlying: error)
        }
    }

    /// Decodes a value from bytes produced by ``encode(_:)``.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The encoded bytes.
    /// - Returns: The decoded value.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` naming
    ///   the type and coding path if the bytes are truncated, malformed or of another type.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(FlowstateError) -> T {
        do {
            return try bytes.withUnsafeBytes { raw in try BinaryDecoder.decode(type, from: raw) }
        } catch {
            throw decodingFailure(type, error)
        }
    }

    /// Decodes a value from a borrowed buffer (for example a RocksDB value) without copying it.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The encoded bytes; only read during the call.
    /// - Returns: The decoded value.
    /// - Throws: A ``FlowstateError`` with code ``FlowstateError/Code/deserialization`` naming
    ///   the type and coding path if the bytes are truncated, malformed or of another type.
    package static func decode<T: Decodable>(
        _ type: T.Type, from bytes: UnsafeRawBufferPointer
    ) throws(FlowstateError) -> T {
        do {
            return try BinaryDecoder.decode(type, from: bytes)
        } catch {
            throw decodingFailure(type, error)
        }
    }

    private static func decodingFailure<T>(_ type: T.Type, _ error: any Error) -> FlowstateError {
        FlowstateError(
            .deserialization, "Cannot decode \(T.self) from binary: \(CodingErrorText.describe(error))",
            underlying: error)
    }
}

/// A coding key for array positions, `super` and keys read back from bytes.
struct BinaryCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    /// The key `super` uses when a keyed container is asked for its super encoder or decoder.
    static let `super` = BinaryCodingKey(stringValue: "super")
}

/// The types with a built-in encoding (see ``BinaryCodec``), identified without dynamic casts.
enum BinaryBuiltIn {
    case string, int, double, bool, int64, date, uint8, int32, uint64, uint32, float
    case bytes, data, decimal, url, uint, int16, uint16, int8

    /// The built-in kind of `type`, or `nil` if it is coded through its own `Codable` conformance.
    ///
    /// Compares metatypes, most common first; specialised callers fold this to a constant.
    @inline(__always)
    init?<T>(_ type: T.Type) {
        if T.self == String.self {
            self = .string
        } else if T.self == Int.self {
            self = .int
        } else if T.self == Double.self {
            self = .double
        } else if T.self == Bool.self {
            self = .bool
        } else if T.self == Int64.self {
            self = .int64
        } else if T.self == Date.self {
            self = .date
        } else if T.self == UInt8.self {
            self = .uint8
        } else if T.self == Int32.self {
            self = .int32
        } else if T.self == UInt64.self {
            self = .uint64
        } else if T.self == UInt32.self {
            self = .uint32
        } else if T.self == Float.self {
            self = .float
        } else if T.self == [UInt8].self {
            self = .bytes
        } else if T.self == Data.self {
            self = .data
        } else if T.self == Decimal.self {
            self = .decimal
        } else if T.self == URL.self {
            self = .url
        } else if T.self == UInt.self {
            self = .uint
        } else if T.self == Int16.self {
            self = .int16
        } else if T.self == UInt16.self {
            self = .uint16
        } else if T.self == Int8.self {
            self = .int8
        } else {
            return nil
        }
    }
}

/// Where a chain of single values stands with its presence bytes (see ``BinaryCodec``).
enum BinaryPresence {
    /// Nil-ness is carried by the frame header, or the chain ended in a container.
    case none
    /// The next single-value read starts with a presence byte.
    case pending
    /// `decodeNil()` consumed a `1`; the following `decode` reads the value itself.
    case consumed
}

/// The container kinds a frame of the binary encoding can hold.
enum BinaryFrameKind {
    case empty, keyed, unkeyed
}

extension FixedWidthInteger where Self: SignedInteger {
    /// The zigzag mapping of a signed integer to an unsigned one (0, -1, 1, -2 → 0, 1, 2, 3).
    @inline(__always)
    var zigzag: UInt64 {
        let wide = Int64(self)
        return UInt64(bitPattern: (wide &<< 1) ^ (wide >> 63))
    }
}

extension UInt64 {
    /// The inverse of `zigzag`.
    @inline(__always)
    var unzigzag: Int64 {
        Int64(bitPattern: self >> 1) ^ -Int64(bitPattern: self & 1)
    }

    /// The number of bytes of this value as an LEB128 varint.
    @inline(__always)
    var varintSize: Int {
        (64 - leadingZeroBitCount + 6) / 7 + (self == 0 ? 1 : 0)
    }
}
