import Foundation

/// Encodes `Encodable` values straight into JSON bytes, without an intermediate tree.
///
/// Values are written in the order the `Encodable` code writes them: objects keep their
/// members' order, strings are escaped in runs, integers are formatted without allocating.
/// Dates are ISO-8601 strings (see ``JSONDate``), `Data` Base64, `URL` its absolute string and
/// `Decimal` a number, as Foundation's `JSONEncoder` writes them; non-finite floating-point
/// values throw `EncodingError.invalidValue`. A container created with `nestedContainer`,
/// `nestedUnkeyedContainer` or `superEncoder` may be written in any order relative to its
/// parent: it writes into a child encoder whose bytes are spliced in when the parent closes.
///
/// - Important: One encoding per instance. A container must not be used after the value that
///   created it is finished; such misuse makes the encoding throw.
package final class FastJSONEncoder: Encoder {
    /// Which container the value being written uses.
    enum Kind {
        case none, keyed, unkeyed, single
    }

    /// The value currently being written.
    struct Frame {
        /// Distinguishes frames so stale containers are detected.
        var id: Int
        var kind: Kind = .none
        /// Members or elements written so far.
        var count = 0
        /// Where the value's bytes begin.
        var start: Int
    }

    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) var frame: Frame
    @exclusivity(unchecked) private var nextFrameID = 1
    /// Child encoders whose bytes go at `offset` when the frame containing it closes.
    @exclusivity(unchecked) private var pending: [(offset: Int, encoder: FastJSONEncoder)] = []

    @exclusivity(unchecked) package var codingPath: [any CodingKey]
    package var userInfo: [CodingUserInfoKey: Any] { [:] }

    private init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
        frame = Frame(id: 0, start: 0)
    }

    /// Encodes `value` as JSON bytes.
    ///
    /// - Throws: `EncodingError.invalidValue` for non-finite numbers, a value that encodes
    ///   nothing at the top level, or container misuse; or the value's own error.
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = FastJSONEncoder(codingPath: [])
        encoder.bytes.reserveCapacity(256)
        if try encoder.writeSpecial(value, key: nil) { return encoder.bytes }
        try value.encode(to: encoder)
        if encoder.frame.kind == .none {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        try encoder.close()
        return encoder.bytes
    }

    // MARK: - Encoder

    package func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        switch frame.kind {
        case .none:
            frame.kind = .keyed
            bytes.append(JSONByte.openBrace)
        case .keyed:
            break
        case .unkeyed, .single:
            frame.id = -1  // poisons the frame: every container of it now throws
        }
        return KeyedEncodingContainer(FastJSONKeyedEncodingContainer<Key>(encoder: self, frameID: frame.id))
    }

    package func unkeyedContainer() -> any UnkeyedEncodingContainer {
        switch frame.kind {
        case .none:
            frame.kind = .unkeyed
            bytes.append(JSONByte.openBracket)
        case .unkeyed:
            break
        case .keyed, .single:
            frame.id = -1
        }
        return FastJSONUnkeyedEncodingContainer(encoder: self, frameID: frame.id)
    }

    package func singleValueContainer() -> any SingleValueEncodingContainer {
        FastJSONSingleValueEncodingContainer(encoder: self, frameID: frame.id)
    }

    // MARK: - Writing

    /// Throws unless `frameID` is the frame being written.
    @inline(__always)
    func check(_ frameID: Int, _ value: @autoclosure () -> Any) throws {
        if _slowPath(frame.id != frameID || frameID < 0) {
            throw EncodingError.invalidValue(value(), EncodingError.Context(
                codingPath: codingPath,
                debugDescription: "A container was used after its value was finished, or two kinds of container were requested for one value."))
        }
    }

    /// Writes the separator and the key of the next object member.
    @inline(__always)
    func writeKey(_ key: some CodingKey) {
        if frame.count > 0 { bytes.append(JSONByte.comma) }
        frame.count += 1
        JSONOutput.appendString(key.stringValue, to: &bytes)
        bytes.append(JSONByte.colon)
    }

    /// Writes the separator before the next array element.
    @inline(__always)
    func writeElementSeparator() {
        if frame.count > 0 { bytes.append(JSONByte.comma) }
        frame.count += 1
    }

    func writeDouble(_ value: Double, key: (any CodingKey)?) throws {
        guard value.isFinite else { throw nonFinite(value, key: key) }
        JSONOutput.appendFloatingPoint(value, to: &bytes)
    }

    func writeFloat(_ value: Float, key: (any CodingKey)?) throws {
        guard value.isFinite else { throw nonFinite(value, key: key) }
        JSONOutput.appendFloatingPoint(value, to: &bytes)
    }

    private func nonFinite(_ value: Any, key: (any CodingKey)?) -> EncodingError {
        EncodingError.invalidValue(value, EncodingError.Context(
            codingPath: codingPath + (key.map { [$0] } ?? []),
            debugDescription: "Unable to encode \(value) directly in JSON."))
    }

    /// Writes the types Foundation's encoder writes specially; returns false for any other type.
    @inline(__always)
    func writeSpecial<T: Encodable>(_ value: T, key: (any CodingKey)?) throws -> Bool {
        if T.self == String.self {
            JSONOutput.appendString(value as! String, to: &bytes)
        } else if T.self == Int.self {
            JSONOutput.appendInteger(value as! Int, to: &bytes)
        } else if T.self == Double.self {
            try writeDouble(value as! Double, key: key)
        } else if T.self == Bool.self {
            bytes.append(contentsOf: (value as! Bool) ? Array("true".utf8) : Array("false".utf8))
        } else if T.self == Date.self {
            JSONDate.write(value as! Date, to: &bytes)
        } else if T.self == Data.self {
            JSONOutput.appendString((value as! Data).base64EncodedString(), to: &bytes)
        } else if T.self == URL.self {
            JSONOutput.appendString((value as! URL).absoluteString, to: &bytes)
        } else if T.self == Decimal.self {
            bytes.append(contentsOf: (value as! Decimal).description.utf8)
        } else {
            return false
        }
        return true
    }

    /// Writes a nested value in place, in a frame of its own.
    func writeValue<T: Encodable>(_ value: T, key: any CodingKey) throws {
        if try writeSpecial(value, key: key) { return }
        if _slowPath(codingPath.count >= JSONValidator.maximumDepth) {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: codingPath, debugDescription: "The value nests deeper than \(JSONValidator.maximumDepth) levels."))
        }
        let saved = frame
        frame = Frame(id: nextFrameID, start: bytes.count)
        nextFrameID &+= 1
        codingPath.append(key)
        defer {
            codingPath.removeLast()
            frame = saved
        }
        try value.encode(to: self)
        try close()
    }

    /// Closes the current frame: splices its child encoders and writes its closing bracket.
    private func close() throws {
        while let last = pending.last, last.offset >= frame.start {
            pending.removeLast()
            try last.encoder.close()
            bytes.insert(contentsOf: last.encoder.bytes, at: last.offset)
        }
        switch frame.kind {
        case .keyed: bytes.append(JSONByte.closeBrace)
        case .unkeyed: bytes.append(JSONByte.closeBracket)
        case .none: bytes.append(contentsOf: [JSONByte.openBrace, JSONByte.closeBrace])  // as Foundation: `{}`
        case .single: break
        }
    }

    /// Creates a child encoder whose bytes will be inserted at the current end of the buffer.
    func makeChild(key: any CodingKey) -> FastJSONEncoder {
        let child = FastJSONEncoder(codingPath: codingPath + [key])
        pending.append((bytes.count, child))
        return child
    }
}

struct FastJSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: FastJSONEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }

    func encodeNil(forKey key: Key) throws {
        try encoder.check(frameID, Optional<Int>.none as Any)
        encoder.writeKey(key)
        encoder.bytes.append(contentsOf: [JSONByte.lowerN, UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    func encode(_ value: Bool, forKey key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        encoder.bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    func encode(_ value: String, forKey key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        JSONOutput.appendString(value, to: &encoder.bytes)
    }

    func encode(_ value: Double, forKey key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        try encoder.writeDouble(value, key: key)
    }

    func encode(_ value: Float, forKey key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        try encoder.writeFloat(value, key: key)
    }

    func encode(_ value: Int, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: Int8, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: Int16, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: Int32, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: Int64, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: UInt, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: UInt8, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: UInt16, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: UInt32, forKey key: Key) throws { try integer(value, key) }
    func encode(_ value: UInt64, forKey key: Key) throws { try integer(value, key) }

    @inline(__always)
    private func integer<T: FixedWidthInteger>(_ value: T, _ key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        JSONOutput.appendInteger(value, to: &encoder.bytes)
    }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encoder.check(frameID, value)
        encoder.writeKey(key)
        try encoder.writeValue(value, key: key)
    }

    func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try integer(value, key) }
    }

    func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        child(key).container(keyedBy: keyType)
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        child(key).unkeyedContainer()
    }

    func superEncoder() -> any Encoder {
        if encoder.frame.id == frameID {
            encoder.writeKey(JSONSuperKey())
            return encoder.makeChild(key: JSONSuperKey())
        }
        encoder.frame.id = -1
        return encoder.makeChild(key: JSONSuperKey())
    }

    func superEncoder(forKey key: Key) -> any Encoder { child(key) }

    /// A child encoder for a member written through a nested container (poisons a stale container's frame).
    private func child(_ key: Key) -> FastJSONEncoder {
        if encoder.frame.id == frameID {
            encoder.writeKey(key)
        } else {
            encoder.frame.id = -1
        }
        return encoder.makeChild(key: key)
    }
}

struct FastJSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: FastJSONEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.frame.id == frameID ? encoder.frame.count : 0 }

    private func begin(_ value: @autoclosure () -> Any) throws {
        try encoder.check(frameID, value())
        encoder.writeElementSeparator()
    }

    mutating func encodeNil() throws {
        try begin(Optional<Int>.none as Any)
        encoder.bytes.append(contentsOf: [JSONByte.lowerN, UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    mutating func encode(_ value: Bool) throws {
        try begin(value)
        encoder.bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    mutating func encode(_ value: String) throws {
        try begin(value)
        JSONOutput.appendString(value, to: &encoder.bytes)
    }

    mutating func encode(_ value: Double) throws {
        try begin(value)
        try encoder.writeDouble(value, key: JSONIndexKey(index: encoder.frame.count - 1))
    }

    mutating func encode(_ value: Float) throws {
        try begin(value)
        try encoder.writeFloat(value, key: JSONIndexKey(index: encoder.frame.count - 1))
    }

    mutating func encode(_ value: Int) throws { try integer(value) }
    mutating func encode(_ value: Int8) throws { try integer(value) }
    mutating func encode(_ value: Int16) throws { try integer(value) }
    mutating func encode(_ value: Int32) throws { try integer(value) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(value) }
    mutating func encode(_ value: UInt8) throws { try integer(value) }
    mutating func encode(_ value: UInt16) throws { try integer(value) }
    mutating func encode(_ value: UInt32) throws { try integer(value) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) throws {
        try begin(value)
        JSONOutput.appendInteger(value, to: &encoder.bytes)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try begin(value)
        try encoder.writeValue(value, key: JSONIndexKey(index: encoder.frame.count - 1))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        child().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        child().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { child() }

    private func child() -> FastJSONEncoder {
        if encoder.frame.id == frameID {
            encoder.writeElementSeparator()
        } else {
            encoder.frame.id = -1
        }
        return encoder.makeChild(key: JSONIndexKey(index: max(encoder.frame.count - 1, 0)))
    }
}

struct FastJSONSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: FastJSONEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }

    /// Claims the frame for one value; a second value, or a value after a container, throws.
    private func begin(_ value: @autoclosure () -> Any) throws {
        try encoder.check(frameID, value())
        guard encoder.frame.kind == .none else {
            throw EncodingError.invalidValue(value(), EncodingError.Context(
                codingPath: encoder.codingPath,
                debugDescription: "Attempt to encode value through single value container when previously value already encoded."))
        }
        encoder.frame.kind = .single
    }

    mutating func encodeNil() throws {
        try begin(Optional<Int>.none as Any)
        encoder.bytes.append(contentsOf: [JSONByte.lowerN, UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    mutating func encode(_ value: Bool) throws {
        try begin(value)
        encoder.bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    mutating func encode(_ value: String) throws {
        try begin(value)
        JSONOutput.appendString(value, to: &encoder.bytes)
    }

    mutating func encode(_ value: Double) throws {
        try begin(value)
        try encoder.writeDouble(value, key: nil)
    }

    mutating func encode(_ value: Float) throws {
        try begin(value)
        try encoder.writeFloat(value, key: nil)
    }

    mutating func encode(_ value: Int) throws { try integer(value) }
    mutating func encode(_ value: Int8) throws { try integer(value) }
    mutating func encode(_ value: Int16) throws { try integer(value) }
    mutating func encode(_ value: Int32) throws { try integer(value) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(value) }
    mutating func encode(_ value: UInt8) throws { try integer(value) }
    mutating func encode(_ value: UInt16) throws { try integer(value) }
    mutating func encode(_ value: UInt32) throws { try integer(value) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) throws {
        try begin(value)
        JSONOutput.appendInteger(value, to: &encoder.bytes)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try begin(value)
        if try encoder.writeSpecial(value, key: nil) { return }
        // The value takes over this frame (e.g. a wrapper type that encodes its wrapped value).
        encoder.frame.kind = .none
        try value.encode(to: encoder)
        if encoder.frame.kind == .none { encoder.frame.kind = .single; encoder.bytes.append(contentsOf: [JSONByte.openBrace, JSONByte.closeBrace]) }
    }
}
