import Foundation

/// Why bytes could not be read as the format described at ``BinaryCodec``.
enum BinaryReadFailure: Error {
    case truncated
    case malformedVarint
    case invalidUTF8
    case invalidBool(UInt8)
    case outOfRange(String)
    case trailingBytes(Int)
    case invalid(String)

    var text: String {
        switch self {
        case .truncated: "unexpected end of data"
        case .malformedVarint: "malformed varint"
        case .invalidUTF8: "invalid UTF-8 in a string"
        case .invalidBool(let byte): "invalid Bool byte \(byte)"
        case .outOfRange(let type): "value out of range for \(type)"
        case .trailingBytes(let count): "\(count) unexpected bytes after the value"
        case .invalid(let reason): reason
        }
    }
}

/// Decodes `Decodable` values from the format described at ``BinaryCodec``.
///
/// The decoder reads a borrowed buffer by index and never copies it. Each value nested in
/// a container is decoded in a *frame*, a byte range delimited by its header; a keyed
/// container validates its entries when created (so malformed bytes fail early and no
/// later read can leave the range) and finds keys by scanning from where the previous
/// lookup matched, which makes in-order decoding linear.
///
/// - Important: Valid only during ``decode(_:from:)``: the buffer is borrowed. Every read is
///   bounds-checked; malformed input throws `DecodingError`, never traps.
final class BinaryDecoder: Decoder {
    /// The state of the value currently being read.
    struct Frame {
        /// Distinguishes frames so stale containers are detected.
        var id: Int
        /// One past the value's last byte.
        var end: Int
        /// Where the next single-value read starts; also where containers start.
        var cursor: Int
        /// The entry offset where the next key lookup starts.
        var hint: Int
        /// Whether the header said nil.
        var isNil: Bool
        /// Where a chain of single values stands with its presence bytes.
        var presence: BinaryPresence
        /// Whether the keyed entries have been validated.
        var keyedValidated = false
    }

    /// A keyed-container entry's value range.
    struct Entry {
        let start: Int
        let end: Int
        let isNil: Bool
    }

    /// A parsed keyed-container entry: where its key is, its value, and where the next entry starts.
    struct ParsedEntry {
        let keyStart: Int
        let keyCount: Int
        let entry: Entry
        let next: Int
    }

    /// The range of a value behind a frame header.
    struct FramedRange {
        let start: Int
        let end: Int
        let isNil: Bool
    }

    let base: UnsafeRawBufferPointer
    @exclusivity(unchecked) private(set) var frame: Frame
    private var nextFrameID = 1

    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private init(base: UnsafeRawBufferPointer, start: Int, end: Int, isNil: Bool, topLevel: Bool,
                 codingPath: [any CodingKey]) {
        self.base = base
        self.codingPath = codingPath
        frame = Frame(id: 0, end: end, cursor: start, hint: start, isNil: isNil, presence: topLevel ? .pending : .none)
    }

    /// Decodes a value from a buffer.
    ///
    /// - Throws: `DecodingError` if the bytes are malformed or do not match `T`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let decoder = BinaryDecoder(base: bytes, start: 0, end: bytes.count, isNil: false, topLevel: true,
                                    codingPath: [])
        if let kind = BinaryBuiltIn(type) {
            do throws(BinaryReadFailure) {
                return try decoder.readExactBuiltIn(kind, as: type, from: 0, to: bytes.count)
            } catch {
                throw decoder.corrupted(error)
            }
        }
        return try T(from: decoder)
    }

    // MARK: - Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if frame.isNil {
            throw DecodingError.valueNotFound(
                KeyedDecodingContainer<Key>.self,
                DecodingError.Context(codingPath: codingPath, debugDescription: "Expected a keyed value but found nil"))
        }
        frame.presence = .none
        if !frame.keyedValidated {
            do throws(BinaryReadFailure) {
                try validateEntries(from: frame.cursor, to: frame.end)
            } catch {
                throw corrupted(error)
            }
            frame.keyedValidated = true
            frame.hint = frame.cursor
        }
        return KeyedDecodingContainer(
            BinaryKeyedDecodingContainer<Key>(decoder: self, frameID: frame.id, start: frame.cursor, end: frame.end))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if frame.isNil {
            throw DecodingError.valueNotFound(
                [Any].self,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "Expected an unkeyed value but found nil"))
        }
        frame.presence = .none
        var cursor = frame.cursor
        let count: Int
        do throws(BinaryReadFailure) {
            // Every element takes at least one byte, which bounds the count by the bytes left.
            count = try readLength(at: &cursor, end: frame.end)
        } catch {
            throw corrupted(error)
        }
        return BinaryUnkeyedDecodingContainer(decoder: self, frameID: frame.id, cursor: cursor, end: frame.end,
                                              total: count)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(decoder: self, frameID: frame.id)
    }

    // MARK: - Errors

    /// A `DecodingError.dataCorrupted` at the current path (plus `key`).
    func corrupted(_ failure: BinaryReadFailure, key: (any CodingKey)? = nil) -> DecodingError {
        var path = codingPath
        if let key { path.append(key) }
        return DecodingError.dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: failure.text))
    }

    /// Throws unless `frameID` is the frame being read (a stale container otherwise).
    @inline(__always)
    func check(_ frameID: Int) throws {
        if _slowPath(frame.id != frameID) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath,
                debugDescription: "A container was used after its value was finished or while a nested value was open"))
        }
    }

    private func valueNotFound<T>(_ type: T.Type, key: (any CodingKey)?, _ message: String) -> DecodingError {
        var path = codingPath
        if let key { path.append(key) }
        return DecodingError.valueNotFound(type, DecodingError.Context(codingPath: path, debugDescription: message))
    }

    // MARK: - Frames

    /// Decodes a non-built-in value from the range `start..<end`.
    func decodeFrame<T: Decodable>(_ type: T.Type, start: Int, end: Int, isNil: Bool, key: some CodingKey) throws -> T {
        try checkDepth(key)
        let saved = frame
        frame = Frame(id: nextFrameID, end: end, cursor: start, hint: start, isNil: isNil, presence: .none)
        nextFrameID &+= 1
        codingPath.append(key)
        defer {
            codingPath.removeLast()
            frame = saved
        }
        return try T(from: self)
    }

    /// A decoder for a nested container or super decoder over `start..<end`.
    func childDecoder(start: Int, end: Int, isNil: Bool, key: some CodingKey) throws -> BinaryDecoder {
        try checkDepth(key)
        return BinaryDecoder(base: base, start: start, end: end, isNil: isNil, topLevel: false,
                             codingPath: codingPath + [key])
    }

    /// Throws rather than recursing past ``BinaryCodec/maximumDepth``.
    @inline(__always)
    private func checkDepth(_ key: some CodingKey) throws {
        if _slowPath(codingPath.count >= BinaryCodec.maximumDepth) {
            throw corrupted(.invalid("nested deeper than \(BinaryCodec.maximumDepth) levels"), key: key)
        }
    }

    // MARK: - Keyed entries

    /// Checks that `start..<end` is a well-formed sequence of keyed entries.
    private func validateEntries(from start: Int, to end: Int) throws(BinaryReadFailure) {
        var cursor = start
        while cursor < end {
            cursor += try readLength(at: &cursor, end: end)
            let header = try readVarint(at: &cursor, end: end)
            if header != 0 {
                guard header - 1 <= UInt64(end - cursor) else { throw .truncated }
                cursor += Int(header - 1)
            }
        }
    }

    /// Parses the (validated) entry at `cursor`: its key range, value and the next entry's offset.
    @inline(__always)
    private func entry(at cursor: Int, end: Int) -> ParsedEntry? {
        var cursor = cursor
        guard let keyCount = try? readLength(at: &cursor, end: end) else { return nil }
        let keyStart = cursor
        cursor += keyCount
        guard let header = try? readVarint(at: &cursor, end: end) else { return nil }
        if header == 0 {
            let entry = Entry(start: cursor, end: cursor, isNil: true)
            return ParsedEntry(keyStart: keyStart, keyCount: keyCount, entry: entry, next: cursor)
        }
        guard header - 1 <= UInt64(end - cursor) else { return nil }
        let valueEnd = cursor + Int(header - 1)
        return ParsedEntry(keyStart: keyStart, keyCount: keyCount,
                           entry: Entry(start: cursor, end: valueEnd, isNil: false), next: valueEnd)
    }

    /// Finds `key`'s entry in `start..<end`, scanning from the last match and wrapping around.
    func findEntry(_ key: some CodingKey, start: Int, end: Int) -> Entry? {
        var name = key.stringValue
        return name.withUTF8 { wanted -> Entry? in
            let hint = frame.hint
            var cursor = hint
            while cursor < end, let parsed = entry(at: cursor, end: end) {
                if matches(wanted, parsed.keyStart, parsed.keyCount) {
                    frame.hint = cursor
                    return parsed.entry
                }
                cursor = parsed.next
            }
            cursor = start
            while cursor < hint, let parsed = entry(at: cursor, end: end) {
                if matches(wanted, parsed.keyStart, parsed.keyCount) {
                    frame.hint = cursor
                    return parsed.entry
                }
                cursor = parsed.next
            }
            return nil
        }
    }

    @inline(__always)
    private func matches(_ wanted: UnsafeBufferPointer<UInt8>, _ keyStart: Int, _ keyCount: Int) -> Bool {
        guard wanted.count == keyCount else { return false }
        for offset in 0..<keyCount where base[keyStart &+ offset] != wanted[offset] {
            return false
        }
        return true
    }

    /// Every key in `start..<end`, in the order written.
    func keyNames(start: Int, end: Int) -> [String] {
        var names: [String] = []
        var cursor = start
        while cursor < end, let parsed = entry(at: cursor, end: end) {
            let key = UnsafeRawBufferPointer(rebasing: base[parsed.keyStart..<parsed.keyStart + parsed.keyCount])
            names.append(String(decoding: key, as: UTF8.self))
            cursor = parsed.next
        }
        return names
    }

    /// Decodes a value from a keyed entry.
    func decodeEntry<T: Decodable>(_ type: T.Type, _ entry: Entry, key: some CodingKey) throws -> T {
        if entry.isNil { throw valueNotFound(type, key: key, "Expected \(T.self) but found nil") }
        if let kind = BinaryBuiltIn(type) {
            do throws(BinaryReadFailure) {
                return try readExactBuiltIn(kind, as: type, from: entry.start, to: entry.end)
            } catch {
                throw corrupted(error, key: key)
            }
        }
        return try decodeFrame(type, start: entry.start, end: entry.end, isNil: false, key: key)
    }

    // MARK: - Unkeyed elements

    /// Decodes the element at `cursor`, advancing past it.
    func decodeElement<T: Decodable>(_ type: T.Type, at cursor: inout Int, end: Int, index: Int) throws -> T {
        let key = BinaryIndexKey(index)
        let range: FramedRange
        do throws(BinaryReadFailure) {
            if let kind = BinaryBuiltIn(type) {
                return try readBuiltIn(kind, as: type, at: &cursor, end: end, delimited: true)
            }
            range = try readFramedRange(at: &cursor, end: end)
        } catch {
            throw corrupted(error, key: key)
        }
        return try decodeFrame(type, start: range.start, end: range.end, isNil: range.isNil, key: key)
    }

    /// Reads a frame header at `cursor` and skips the frame, returning its range.
    func readFramedRange(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> FramedRange {
        let header = try readVarint(at: &cursor, end: end)
        if header == 0 { return FramedRange(start: cursor, end: cursor, isNil: true) }
        guard header - 1 <= UInt64(end - cursor) else { throw .truncated }
        let start = cursor
        cursor += Int(header - 1)
        return FramedRange(start: start, end: cursor, isNil: false)
    }

    // MARK: - Single values

    /// Whether the current single value is nil (consuming a presence byte `1`).
    func decodeSingleNil(frameID: Int) -> Bool {
        guard frame.id == frameID else { return false }
        switch frame.presence {
        case .none:
            return frame.isNil
        case .consumed:
            return false
        case .pending:
            guard frame.cursor < frame.end else { return false }
            switch base[frame.cursor] {
            case 0:
                return true
            case 1:
                frame.cursor += 1
                frame.presence = .consumed
                return false
            default:
                return false
            }
        }
    }

    /// Decodes the current frame's single value.
    func decodeSingle<T: Decodable>(_ type: T.Type, frameID: Int) throws -> T {
        try check(frameID)
        if frame.presence == .pending {
            guard frame.cursor < frame.end else { throw corrupted(.truncated) }
            switch base[frame.cursor] {
            case 0: throw valueNotFound(type, key: nil, "Expected \(T.self) but found nil")
            case 1: break
            case let byte: throw corrupted(.invalid("invalid presence byte \(byte)"))
            }
            frame.cursor += 1
        }
        // A non-built-in value delegates to its own single-value container, whose nil-ness
        // the frame header no longer carries: the next level owes a presence byte.
        frame.presence = .pending
        if frame.isNil { throw valueNotFound(type, key: nil, "Expected \(T.self) but found nil") }
        if let kind = BinaryBuiltIn(type) {
            do throws(BinaryReadFailure) {
                let value = try readExactBuiltIn(kind, as: type, from: frame.cursor, to: frame.end)
                frame.cursor = frame.end
                return value
            } catch {
                throw corrupted(error)
            }
        }
        return try T(from: self)
    }

    // MARK: - Bytes

    @inline(__always)
    func readVarint(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard cursor < end else { throw .truncated }
            let byte = base[cursor]
            cursor += 1
            if shift == 63 && byte > 1 { throw .malformedVarint }
            result |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Reads a varint length or count that cannot exceed the bytes left before `end`.
    @inline(__always)
    func readLength(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> Int {
        let length = try readVarint(at: &cursor, end: end)
        guard length <= UInt64(end - cursor) else { throw .truncated }
        return Int(length)
    }

    @inline(__always)
    private func readByte(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> UInt8 {
        guard cursor < end else { throw .truncated }
        defer { cursor += 1 }
        return base[cursor]
    }

    @inline(__always)
    private func readFixed64(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> UInt64 {
        guard end - cursor >= 8 else { throw .truncated }
        defer { cursor += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
    }

    @inline(__always)
    private func readFixed32(at cursor: inout Int, end: Int) throws(BinaryReadFailure) -> UInt32 {
        guard end - cursor >= 4 else { throw .truncated }
        defer { cursor += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: cursor, as: UInt32.self))
    }

    @inline(__always)
    private func readSigned<I: FixedWidthInteger & SignedInteger>(
        _ type: I.Type, at cursor: inout Int, end: Int
    ) throws(BinaryReadFailure) -> I {
        guard let value = I(exactly: try readVarint(at: &cursor, end: end).unzigzag) else {
            throw .outOfRange("\(I.self)")
        }
        return value
    }

    @inline(__always)
    private func readUnsigned<U: FixedWidthInteger & UnsignedInteger>(
        _ type: U.Type, at cursor: inout Int, end: Int
    ) throws(BinaryReadFailure) -> U {
        guard let value = U(exactly: try readVarint(at: &cursor, end: end)) else { throw .outOfRange("\(U.self)") }
        return value
    }

    /// The bytes of a variable-length value: length-prefixed if `delimited`, else the rest of the range.
    @inline(__always)
    private func readRaw(
        at cursor: inout Int, end: Int, delimited: Bool
    ) throws(BinaryReadFailure) -> UnsafeRawBufferPointer {
        let count = delimited ? try readLength(at: &cursor, end: end) : end - cursor
        defer { cursor += count }
        return UnsafeRawBufferPointer(rebasing: base[cursor..<cursor + count])
    }

    @inline(__always)
    private func readString(at cursor: inout Int, end: Int, delimited: Bool) throws(BinaryReadFailure) -> String {
        let utf8 = try readRaw(at: &cursor, end: end, delimited: delimited).assumingMemoryBound(to: UInt8.self)
        // ASCII needs no validation (and most keys and identifiers are ASCII); the generic
        // validating initialiser costs a metadata lookup per call.
        var ascii = true
        for byte in utf8 where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8 }
        return string
    }

    /// Reads a value of a type with a built-in encoding (see ``BinaryCodec``).
    ///
    /// - Parameters:
    ///   - kind: The built-in kind of `T`.
    ///   - delimited: Variable-length values are length-prefixed (unkeyed elements) rather
    ///     than filling the range up to `end`.
    @inline(__always)
    func readBuiltIn<T>(
        _ kind: BinaryBuiltIn, as type: T.Type, at cursor: inout Int, end: Int, delimited: Bool
    ) throws(BinaryReadFailure) -> T {
        switch kind {
        case .string:
            return unsafeBitCast(try readString(at: &cursor, end: end, delimited: delimited), to: T.self)
        case .int:
            return unsafeBitCast(try readSigned(Int.self, at: &cursor, end: end), to: T.self)
        case .double:
            return unsafeBitCast(Double(bitPattern: try readFixed64(at: &cursor, end: end)), to: T.self)
        case .bool:
            let byte = try readByte(at: &cursor, end: end)
            guard byte <= 1 else { throw .invalidBool(byte) }
            return unsafeBitCast(byte == 1, to: T.self)
        case .int64:
            return unsafeBitCast(try readSigned(Int64.self, at: &cursor, end: end), to: T.self)
        case .date:
            let interval = Double(bitPattern: try readFixed64(at: &cursor, end: end))
            return unsafeBitCast(Date(timeIntervalSinceReferenceDate: interval), to: T.self)
        case .uint8:
            return unsafeBitCast(try readByte(at: &cursor, end: end), to: T.self)
        case .int32:
            return unsafeBitCast(try readSigned(Int32.self, at: &cursor, end: end), to: T.self)
        case .uint64:
            return unsafeBitCast(try readUnsigned(UInt64.self, at: &cursor, end: end), to: T.self)
        case .uint32:
            return unsafeBitCast(try readUnsigned(UInt32.self, at: &cursor, end: end), to: T.self)
        case .float:
            return unsafeBitCast(Float(bitPattern: try readFixed32(at: &cursor, end: end)), to: T.self)
        case .bytes:
            return unsafeBitCast([UInt8](try readRaw(at: &cursor, end: end, delimited: delimited)), to: T.self)
        case .data:
            return unsafeBitCast(Data(try readRaw(at: &cursor, end: end, delimited: delimited)), to: T.self)
        case .decimal:
            let text = try readString(at: &cursor, end: end, delimited: delimited)
            guard let decimal = Decimal(string: text) else { throw .invalid("invalid Decimal \"\(text)\"") }
            return unsafeBitCast(decimal, to: T.self)
        case .url:
            let text = try readString(at: &cursor, end: end, delimited: delimited)
            guard let url = URL(string: text) else { throw .invalid("invalid URL \"\(text)\"") }
            return unsafeBitCast(url, to: T.self)
        case .uint:
            return unsafeBitCast(try readUnsigned(UInt.self, at: &cursor, end: end), to: T.self)
        case .int16:
            return unsafeBitCast(try readSigned(Int16.self, at: &cursor, end: end), to: T.self)
        case .uint16:
            return unsafeBitCast(try readUnsigned(UInt16.self, at: &cursor, end: end), to: T.self)
        case .int8:
            return unsafeBitCast(Int8(bitPattern: try readByte(at: &cursor, end: end)), to: T.self)
        }
    }

    /// Reads a built-in value filling exactly `cursor..<end`.
    @inline(__always)
    func readExactBuiltIn<T>(
        _ kind: BinaryBuiltIn, as type: T.Type, from start: Int, to end: Int
    ) throws(BinaryReadFailure) -> T {
        var cursor = start
        let value = try readBuiltIn(kind, as: type, at: &cursor, end: end, delimited: false)
        if cursor != end { throw .trailingBytes(end - cursor) }
        return value
    }
}

// MARK: - Containers

/// A keyed container over validated `key, header, value` entries of a ``BinaryDecoder``.
struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: BinaryDecoder
    let frameID: Int
    let start: Int
    let end: Int

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        decoder.keyNames(start: start, end: end).compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        (try? entry(key)) != nil
    }

    private func entry(_ key: some CodingKey) throws -> BinaryDecoder.Entry? {
        try decoder.check(frameID)
        return decoder.findEntry(key, start: start, end: end)
    }

    private func requiredEntry(_ key: Key) throws -> BinaryDecoder.Entry {
        guard let entry = try entry(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "No value for key \"\(key.stringValue)\""))
        }
        return entry
    }

    private func value<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try decoder.decodeEntry(type, try requiredEntry(key), key: key)
    }

    private func valueIfPresent<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let entry = try entry(key), !entry.isNil else { return nil }
        return try decoder.decodeEntry(type, entry, key: key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try requiredEntry(key).isNil }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value(type, key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try valueIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try valueIfPresent(type, key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try valueIfPresent(type, key) }

    private func nestedDecoder(forKey key: some CodingKey, required: Bool) throws -> BinaryDecoder {
        guard let entry = try entry(key) else {
            if required {
                throw DecodingError.keyNotFound(key, DecodingError.Context(
                    codingPath: codingPath, debugDescription: "No value for key \"\(key.stringValue)\""))
            }
            return try decoder.childDecoder(start: end, end: end, isNil: true, key: key)
        }
        return try decoder.childDecoder(start: entry.start, end: entry.end, isNil: entry.isNil, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try nestedDecoder(forKey: key, required: true).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nestedDecoder(forKey: key, required: true).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        try nestedDecoder(forKey: BinaryCodingKey.super, required: false)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try nestedDecoder(forKey: key, required: false)
    }
}

/// An unkeyed container over the count-prefixed elements of a ``BinaryDecoder`` frame.
struct BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: BinaryDecoder
    let frameID: Int
    var cursor: Int
    let end: Int
    let total: Int
    private(set) var currentIndex = 0

    init(decoder: BinaryDecoder, frameID: Int, cursor: Int, end: Int, total: Int) {
        self.decoder = decoder
        self.frameID = frameID
        self.cursor = cursor
        self.end = end
        self.total = total
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    private func ensureElement<T>(_ type: T.Type) throws {
        try decoder.check(frameID)
        if isAtEnd {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: codingPath + [BinaryIndexKey(currentIndex)],
                    debugDescription: "Unkeyed container is at end"))
        }
    }

    private mutating func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        try ensureElement(type)
        let value = try decoder.decodeElement(type, at: &cursor, end: end, index: currentIndex)
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        try ensureElement(Any?.self)
        guard cursor < end else { throw decoder.corrupted(.truncated, key: BinaryIndexKey(currentIndex)) }
        guard decoder.base[cursor] == 0 else { return false }
        cursor += 1
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    mutating func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }

    private mutating func nestedDecoder() throws -> BinaryDecoder {
        try ensureElement(Any.self)
        let key = BinaryIndexKey(currentIndex)
        let range: BinaryDecoder.FramedRange
        do throws(BinaryReadFailure) {
            range = try decoder.readFramedRange(at: &cursor, end: end)
        } catch {
            throw decoder.corrupted(error, key: key)
        }
        currentIndex += 1
        return try decoder.childDecoder(start: range.start, end: range.end, isNil: range.isNil, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try nestedDecoder().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try nestedDecoder().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try nestedDecoder()
    }
}

/// A single-value container reading the whole current frame of a ``BinaryDecoder``.
struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: BinaryDecoder
    let frameID: Int

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.decodeSingleNil(frameID: frameID) }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeSingle(type, frameID: frameID) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeSingle(type, frameID: frameID) }
}
