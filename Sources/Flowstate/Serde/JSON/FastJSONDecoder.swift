import Foundation

/// Decodes `Decodable` values from JSON bytes without building an intermediate tree.
///
/// A first pass (``JSONValidator``) checks the whole input. Decoding then reads values in
/// place: a keyed container records where each member's key and value start (one scan of its
/// object) and finds keys by scanning onward from the previous match, so the in-order lookups
/// of synthesized `Decodable` code are linear; strings without escapes become `String`s
/// directly from the input bytes. Dates are ISO-8601 strings (see ``JSONDate``), `Data` is
/// Base64, `URL` a string and `Decimal` a number, as Foundation's `JSONDecoder` reads them.
/// Errors are Foundation's `DecodingError` cases with the coding path.
///
/// - Important: One decoding per instance, valid only inside ``decode(_:from:)``.
package final class FastJSONDecoder: Decoder {
    /// One member of an object (key range in the input and value offset) or one array element.
    struct Entry {
        let keyStart: Int
        let keyEnd: Int
        let keyEscaped: Bool
        let value: Int
    }

    let reader: JSONValueReader
    /// Where the value being decoded starts.
    @exclusivity(unchecked) private var position: Int
    /// Members of every object and elements of every array opened so far, per container range;
    /// a keyed container's range is preceded by a slot holding its lookup hint.
    @exclusivity(unchecked) fileprivate var entries: [Entry] = []

    @exclusivity(unchecked) package var codingPath: [any CodingKey]
    package var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(reader: JSONValueReader, position: Int, codingPath: [any CodingKey]) {
        self.reader = reader
        self.position = position
        self.codingPath = codingPath
        entries.reserveCapacity(32)
    }

    /// Decodes a value of `type` from JSON bytes.
    ///
    /// - Throws: `DecodingError` (`dataCorrupted` for malformed JSON, with the byte offset).
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            let start = try validatedStart(of: buffer)
            let decoder = FastJSONDecoder(reader: JSONValueReader(bytes: buffer), position: start, codingPath: [])
            return try decoder.decodeValue(T.self, at: start)
        }
    }

    /// Validates the whole input; returns where its value starts.
    static func validatedStart(of buffer: UnsafeBufferPointer<UInt8>) throws(DecodingError) -> Int {
        var validator = JSONValidator(buffer)
        do {
            return try validator.validateDocument()
        } catch {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: error.text))
        }
    }

    // MARK: - Decoder

    package func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let (range, slot) = try openObject(at: position)
        return KeyedDecodingContainer(FastJSONKeyedDecodingContainer<Key>(
            decoder: self, entries: range, slot: slot, codingPath: codingPath))
    }

    /// Records the members of the object at `offset`, preceded by the slot holding the lookup
    /// hint (in its `value`); returns the members' range in ``entries`` and the slot.
    func openObject(at offset: Int) throws -> (members: Range<Int>, slot: Int) {
        let slot = entries.count
        entries.append(Entry(keyStart: 0, keyEnd: 0, keyEscaped: false, value: slot + 1))
        return (try scanObject(at: offset), slot)
    }

    package func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let range = try scanArray(at: position)
        return FastJSONUnkeyedDecodingContainer(decoder: self, entries: range, codingPath: codingPath)
    }

    package func singleValueContainer() throws -> any SingleValueDecodingContainer {
        FastJSONSingleValueDecodingContainer(decoder: self, position: position, codingPath: codingPath)
    }

    // MARK: - Values

    /// Decodes a value of any `Decodable` type starting at `offset`.
    func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int) throws -> T {
        if T.self == String.self { return try decodeString(at: offset, path: codingPath) as! T }
        if T.self == Int.self { return try decodeInteger(Int.self, at: offset, path: codingPath) as! T }
        if T.self == Double.self { return try decodeDouble(at: offset, path: codingPath) as! T }
        if T.self == Bool.self { return try decodeBool(at: offset, path: codingPath) as! T }
        if T.self == Date.self { return try decodeDate(at: offset, path: codingPath) as! T }
        if T.self == Data.self { return try decodeData(at: offset, path: codingPath) as! T }
        if T.self == URL.self { return try decodeURL(at: offset, path: codingPath) as! T }
        if T.self == Decimal.self { return try decodeDecimal(at: offset, path: codingPath) as! T }
        let saved = position
        position = offset
        defer { position = saved }
        return try T(from: self)
    }

    /// Decodes a nested value under `key`, extending the coding path while it runs.
    func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int, key: any CodingKey) throws -> T {
        codingPath.append(key)
        defer { codingPath.removeLast() }
        return try decodeValue(type, at: offset)
    }

    /// A decoder for `superDecoder`: the value at `offset` with its own coding path.
    func subDecoder(at offset: Int, codingPath: [any CodingKey]) -> FastJSONDecoder {
        FastJSONDecoder(reader: reader, position: offset, codingPath: codingPath)
    }

    private func mismatch(_ type: Any.Type, at offset: Int, path: @autoclosure () -> [any CodingKey]) -> DecodingError {
        if reader.isNull(at: offset) {
            return .valueNotFound(type, DecodingError.Context(
                codingPath: path(), debugDescription: "Expected \(type) value but found null instead."))
        }
        return .typeMismatch(type, DecodingError.Context(
            codingPath: path(), debugDescription: "Expected to decode \(type) but found \(reader.kind(at: offset)) instead."))
    }

    private func corrupted(_ error: JSONSyntaxError, path: @autoclosure () -> [any CodingKey]) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: path(), debugDescription: error.text))
    }

    func decodeString(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> String {
        guard offset < reader.bytes.count, reader.bytes[offset] == JSONByte.quote else {
            throw mismatch(String.self, at: offset, path: path())
        }
        do {
            return try reader.string(at: offset)
        } catch {
            throw corrupted(error, path: path())
        }
    }

    func decodeBool(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Bool {
        guard offset < reader.bytes.count else { throw mismatch(Bool.self, at: offset, path: path()) }
        switch reader.bytes[offset] {
        case JSONByte.lowerT: return true
        case JSONByte.lowerF: return false
        default: throw mismatch(Bool.self, at: offset, path: path())
        }
    }

    private func numberText(_ type: Any.Type, at offset: Int, path: @autoclosure () -> [any CodingKey])
        throws -> (text: UnsafeBufferPointer<UInt8>, isInteger: Bool)
    {
        guard offset < reader.bytes.count else { throw mismatch(type, at: offset, path: path()) }
        let first = reader.bytes[offset]
        guard first == JSONByte.minus || JSONByte.isDigit(first) else { throw mismatch(type, at: offset, path: path()) }
        do {
            return try reader.numberText(at: offset)
        } catch {
            throw corrupted(error, path: path())
        }
    }

    private func doesNotFit(_ text: UnsafeBufferPointer<UInt8>, _ type: Any.Type, path: @autoclosure () -> [any CodingKey]) -> DecodingError {
        .dataCorrupted(DecodingError.Context(
            codingPath: path(),
            debugDescription: "Parsed JSON number <\(String(decoding: text, as: UTF8.self))> does not fit in \(type)."))
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> T {
        let (text, isInteger) = try numberText(T.self, at: offset, path: path())
        if isInteger {
            guard let value = reader.integer(text, as: T.self) else { throw doesNotFit(text, T.self, path: path()) }
            return value
        }
        // A fraction or exponent: accepted when the number is exactly an integer in range, as Foundation does.
        guard let double = Double(String(decoding: text, as: UTF8.self)), let value = T(exactly: double) else {
            throw doesNotFit(text, T.self, path: path())
        }
        return value
    }

    func decodeDouble(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Double {
        let (text, isInteger) = try numberText(Double.self, at: offset, path: path())
        if isInteger, text.count <= 15, let value = reader.integer(text, as: Int64.self) {
            // Up to 15 digits is exact in a Double; keep -0 negative.
            return value == 0 && text.first == JSONByte.minus ? -0.0 : Double(value)
        }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite,
              value != 0 || !Self.hasNonzeroMantissa(text) else {
            throw doesNotFit(text, Double.self, path: path())
        }
        return value
    }

    func decodeFloat(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Float {
        let (text, _) = try numberText(Float.self, at: offset, path: path())
        guard let value = Float(String(decoding: text, as: UTF8.self)), value.isFinite,
              value != 0 || !Self.hasNonzeroMantissa(text) else {
            throw doesNotFit(text, Float.self, path: path())
        }
        return value
    }

    /// Whether a number's digits before its exponent are not all zero: such a number that
    /// parses as 0 underflowed, which Foundation rejects as not fitting.
    private static func hasNonzeroMantissa(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in text {
            if byte == JSONByte.lowerE || byte == JSONByte.upperE { return false }
            if byte > JSONByte.zero && byte <= JSONByte.nine { return true }
        }
        return false
    }

    private func decodeDate(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Date {
        let text = try decodeString(at: offset, path: path())
        guard let date = JSONDate.parse(text) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: path(), debugDescription: "Expected date string to be ISO8601-formatted, got '\(text)'."))
        }
        return date
    }

    private func decodeData(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Data {
        let text = try decodeString(at: offset, path: path())
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: path(), debugDescription: "Encountered Data is not valid Base64."))
        }
        return data
    }

    private func decodeURL(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> URL {
        let text = try decodeString(at: offset, path: path())
        guard let url = URL(string: text) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: path(), debugDescription: "Invalid URL string '\(text)'."))
        }
        return url
    }

    private func decodeDecimal(at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Decimal {
        let (text, _) = try numberText(Decimal.self, at: offset, path: path())
        guard let value = Decimal(string: String(decoding: text, as: UTF8.self), locale: Locale(identifier: "en_US_POSIX"))
        else { throw doesNotFit(text, Decimal.self, path: path()) }
        return value
    }

    // MARK: - Containers

    /// Records the members of the object at `offset`; returns their range in ``entries``.
    private func scanObject(at offset: Int) throws -> Range<Int> {
        guard offset < reader.bytes.count, reader.bytes[offset] == JSONByte.openBrace else {
            throw mismatch([String: Any].self, at: offset, path: codingPath)
        }
        let first = entries.count
        do {
            var index = reader.skipWhitespace(from: offset + 1)
            if index < reader.bytes.count, reader.bytes[index] == JSONByte.closeBrace { return first..<first }
            while index < reader.bytes.count {
                let (keyEnd, escaped) = try reader.end(ofStringAt: index)
                let valueStart = reader.skipWhitespace(from: reader.skipWhitespace(from: keyEnd) + 1)
                entries.append(Entry(keyStart: index + 1, keyEnd: keyEnd - 1, keyEscaped: escaped, value: valueStart))
                index = reader.skipWhitespace(from: try reader.end(ofValueAt: valueStart))
                guard index < reader.bytes.count, reader.bytes[index] == JSONByte.comma else { break }
                index = reader.skipWhitespace(from: index + 1)
            }
        } catch {
            throw corrupted(error, path: codingPath)
        }
        return first..<entries.count
    }

    /// Records the elements of the array at `offset`; returns their range in ``entries``.
    private func scanArray(at offset: Int) throws -> Range<Int> {
        guard offset < reader.bytes.count, reader.bytes[offset] == JSONByte.openBracket else {
            throw mismatch([Any].self, at: offset, path: codingPath)
        }
        let first = entries.count
        do {
            var index = reader.skipWhitespace(from: offset + 1)
            if index < reader.bytes.count, reader.bytes[index] == JSONByte.closeBracket { return first..<first }
            while index < reader.bytes.count {
                entries.append(Entry(keyStart: 0, keyEnd: 0, keyEscaped: false, value: index))
                index = reader.skipWhitespace(from: try reader.end(ofValueAt: index))
                guard index < reader.bytes.count, reader.bytes[index] == JSONByte.comma else { break }
                index = reader.skipWhitespace(from: index + 1)
            }
        } catch {
            throw corrupted(error, path: codingPath)
        }
        return first..<entries.count
    }

    /// The value offset of the member named `key` in `range`, searching onward from the slot's hint.
    fileprivate func find(_ key: String, in range: Range<Int>, slot: Int) -> Int? {
        var name = key
        return name.withUTF8 { find(utf8: $0, in: range, slot: slot) }
    }

    /// The value offset of the member whose key's UTF-8 is `name` in `range`, searching onward from the slot's hint.
    func find(utf8 name: UnsafeBufferPointer<UInt8>, in range: Range<Int>, slot: Int) -> Int? {
        if range.isEmpty { return nil }
        let start = entries[slot].value
        var index = start
        repeat {
            let entry = entries[index]
            let matches = entry.keyEscaped
                ? (try? reader.string(contentFrom: entry.keyStart, to: entry.keyEnd, escaped: true))
                    .map { $0.utf8.elementsEqual(name) } ?? false
                : reader.rawKeyEquals(start: entry.keyStart, end: entry.keyEnd, name)
            index += 1
            if index == range.upperBound { index = range.lowerBound }
            if matches {
                entries[slot] = Entry(keyStart: 0, keyEnd: 0, keyEscaped: false, value: index)
                return entry.value
            }
        } while index != start
        return nil
    }

    /// The key of an entry as a `String`.
    fileprivate func keyString(_ entry: Entry) -> String? {
        try? reader.string(contentFrom: entry.keyStart, to: entry.keyEnd, escaped: entry.keyEscaped)
    }

    fileprivate func entry(_ index: Int) -> Entry { entries[index] }
}

/// A key for array elements in coding paths, as Foundation names them (`Index 3`).
struct JSONIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `super`, for `superDecoder()` / `superEncoder()`.
struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { if stringValue != "super" { return nil } }
    init?(intValue: Int) { nil }
}

struct FastJSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: FastJSONDecoder
    let entries: Range<Int>
    let slot: Int
    let codingPath: [any CodingKey]

    var allKeys: [Key] {
        entries.compactMap { decoder.keyString(decoder.entry($0)).flatMap(Key.init(stringValue:)) }
    }

    func contains(_ key: Key) -> Bool {
        decoder.find(key.stringValue, in: entries, slot: slot) != nil
    }

    @inline(__always)
    private func value(for key: Key) throws -> Int {
        guard let offset = decoder.find(key.stringValue, in: entries, slot: slot) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return offset
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.reader.isNull(at: try value(for: key))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decoder.decodeBool(at: value(for: key), path: path(key))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decoder.decodeString(at: value(for: key), path: path(key))
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder.decodeDouble(at: value(for: key), path: path(key))
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decoder.decodeFloat(at: value(for: key), path: path(key))
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    @inline(__always)
    private func integer<T: FixedWidthInteger>(_ key: Key) throws -> T {
        try decoder.decodeInteger(T.self, at: value(for: key), path: path(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeValue(T.self, at: value(for: key), key: key)
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let offset = decoder.find(key.stringValue, in: entries, slot: slot),
              !decoder.reader.isNull(at: offset) else { return nil }
        return try decoder.decodeString(at: offset, path: path(key))
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let offset = decoder.find(key.stringValue, in: entries, slot: slot),
              !decoder.reader.isNull(at: offset) else { return nil }
        return try decoder.decodeInteger(Int.self, at: offset, path: path(key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = decoder.find(key.stringValue, in: entries, slot: slot),
              !decoder.reader.isNull(at: offset) else { return nil }
        return try decoder.decodeValue(T.self, at: offset, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder.subDecoder(at: value(for: key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.subDecoder(at: value(for: key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let offset = decoder.find("super", in: entries, slot: slot) else {
            throw DecodingError.keyNotFound(JSONSuperKey(), DecodingError.Context(
                codingPath: codingPath, debugDescription: "No value associated with key super."))
        }
        return decoder.subDecoder(at: offset, codingPath: codingPath + [JSONSuperKey()])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.subDecoder(at: try value(for: key), codingPath: path(key))
    }
}

struct FastJSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: FastJSONDecoder
    let entries: Range<Int>
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(decoder: FastJSONDecoder, entries: Range<Int>, codingPath: [any CodingKey]) {
        self.decoder = decoder
        self.entries = entries
        self.codingPath = codingPath
    }

    var count: Int? { entries.count }
    var isAtEnd: Bool { currentIndex >= entries.count }

    private func next(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: codingPath + [JSONIndexKey(index: currentIndex)], debugDescription: "Unkeyed container is at end."))
        }
        return decoder.entry(entries.lowerBound + currentIndex).value
    }

    private func path() -> [any CodingKey] { codingPath + [JSONIndexKey(index: currentIndex)] }

    mutating func decodeNil() throws -> Bool {
        guard decoder.reader.isNull(at: try next(Never.self)) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let value = try decoder.decodeBool(at: next(type), path: path())
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: String.Type) throws -> String {
        let value = try decoder.decodeString(at: next(type), path: path())
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        let value = try decoder.decodeDouble(at: next(type), path: path())
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        let value = try decoder.decodeFloat(at: next(type), path: path())
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        let value = try decoder.decodeInteger(T.self, at: next(T.self), path: path())
        currentIndex += 1
        return value
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try decoder.decodeValue(T.self, at: next(T.self), key: JSONIndexKey(index: currentIndex))
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try decoder.subDecoder(at: next([String: Any].self), codingPath: path()).container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try decoder.subDecoder(at: next([Any].self), codingPath: path()).unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let sub = decoder.subDecoder(at: try next((any Decoder).self), codingPath: path())
        currentIndex += 1
        return sub
    }
}

struct FastJSONSingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: FastJSONDecoder
    let position: Int
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { decoder.reader.isNull(at: position) }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeBool(at: position, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeString(at: position, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeDouble(at: position, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeFloat(at: position, path: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private func integer<T: FixedWidthInteger>() throws -> T {
        try decoder.decodeInteger(T.self, at: position, path: codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decodeValue(T.self, at: position)
    }
}

