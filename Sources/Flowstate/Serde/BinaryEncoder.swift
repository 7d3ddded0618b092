import Foundation

/// Encodes `Encodable` values into the format described at ``BinaryCodec``.
///
/// One instance writes one growing buffer. A value nested in a container is written in
/// place as a *frame*: a one-byte header placeholder, the value, then the header
/// patched with the value's length (bytes are inserted only when the length needs a
/// longer varint). Containers obtained with `nestedContainer`, `nestedUnkeyedContainer`
/// or `superEncoder` may legally be written in any order relative to their parent, so
/// each writes into a child encoder that is spliced into this buffer when the frame that
/// created it closes.
///
/// - Important: Not thread-safe; one encoding per instance. A container must not be used
///   after the value that created it has been encoded; such misuse makes the encoding
///   throw rather than produce wrong bytes.
final class BinaryEncoder: Encoder {
    /// The state of the value currently being written.
    struct Frame {
        /// Distinguishes frames so stale containers are detected.
        var id: Int
        /// Where the value's bytes begin (after its header, and after a top-level presence byte).
        var contentStart: Int
        /// Which container the value uses.
        var kind: BinaryFrameKind = .empty
        /// Where the element-count placeholder sits, for an unkeyed container; -1 otherwise.
        var countAt: Int = -1
        /// Elements written to the unkeyed container.
        var count: Int = 0
        /// Whether a single-value container encoded nil.
        var isNil = false
        /// Whether the next single-value write owes a presence byte (see ``BinaryCodec``).
        var presencePending = false
    }

    /// A child encoder whose bytes go at `offset` once its frame closes.
    private struct PendingChild {
        let offset: Int
        let encoder: BinaryEncoder
    }

    /// The encoded bytes so far.
    @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
    /// The value currently being written.
    @exclusivity(unchecked) private(set) var frame: Frame
    private var nextFrameID = 1
    private var pending: [PendingChild] = []
    /// The first error raised while encoding; a caught error still fails the whole encoding.
    private var failure: (any Error)?

    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private init(codingPath: [any CodingKey], topLevel: Bool) {
        self.codingPath = codingPath
        frame = Frame(id: 0, contentStart: 0, presencePending: topLevel)
        if topLevel { bytes.reserveCapacity(128) }
    }

    /// Encodes a value into a new buffer.
    ///
    /// - Throws: The value's own error, or `EncodingError.invalidValue` for container misuse.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = BinaryEncoder(codingPath: [], topLevel: true)
        if !encoder.writeBuiltIn(value, delimited: false) {
            try value.encode(to: encoder)
            try encoder.finish()
        }
        return encoder.bytes
    }

    // MARK: - Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        beginKeyed()
        return KeyedEncodingContainer(BinaryKeyedEncodingContainer<Key>(encoder: self, frameID: frame.id))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        beginUnkeyed()
        return BinaryUnkeyedEncodingContainer(encoder: self, frameID: frame.id)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncodingContainer(encoder: self, frameID: frame.id)
    }

    // MARK: - Frames

    private func beginKeyed() {
        frame.presencePending = false
        switch frame.kind {
        case .empty: frame.kind = .keyed
        case .keyed: break
        case .unkeyed: fail("a keyed container was requested for a value that already has an unkeyed one")
        }
    }

    private func beginUnkeyed() {
        frame.presencePending = false
        switch frame.kind {
        case .unkeyed: break
        case .keyed: fail("an unkeyed container was requested for a value that already has a keyed one")
        case .empty:
            guard bytes.count == frame.contentStart else {
                fail("an unkeyed container was requested after the value was written")
                return
            }
            frame.kind = .unkeyed
            frame.countAt = bytes.count
            bytes.append(0)
        }
    }

    /// Records a misuse error, which the encoding throws when it finishes, and returns it.
    @discardableResult
    private func fail(_ message: String) -> EncodingError {
        let error = EncodingError.invalidValue(
            message, EncodingError.Context(codingPath: codingPath, debugDescription: message))
        if failure == nil { failure = error }
        return error
    }

    @discardableResult
    private func tooDeep() -> EncodingError {
        fail("the value nests deeper than \(BinaryCodec.maximumDepth) levels")
    }

    /// Throws unless `frameID` is the frame being written (a stale container otherwise).
    @inline(__always)
    func check(_ frameID: Int) throws {
        if _slowPath(frame.id != frameID) {
            throw fail("a container was used after its value was finished, or while a nested value was open")
        }
    }

    /// Writes a non-built-in value as a frame whose header placeholder is at `headerAt`.
    private func encodeFrame<T: Encodable>(_ value: T, headerAt: Int, key: some CodingKey) throws {
        if _slowPath(codingPath.count >= BinaryCodec.maximumDepth) { throw tooDeep() }
        let saved = frame
        frame = Frame(id: nextFrameID, contentStart: headerAt + 1)
        nextFrameID &+= 1
        codingPath.append(key)
        defer {
            codingPath.removeLast()
            frame = saved
        }
        do {
            try value.encode(to: self)
            try spliceChildren(from: frame.contentStart)
            if frame.countAt >= 0 { patchVarint(at: frame.countAt, frame.count) }
            if frame.isNil {
                bytes.removeSubrange(frame.contentStart...)
                bytes[headerAt] = 0
            } else {
                patchVarint(at: headerAt, bytes.count - headerAt)  // content length + 1
            }
        } catch {
            if failure == nil { failure = error }
            throw error
        }
    }

    /// Completes this encoder's own value: splices children and writes the element count.
    private func finish() throws {
        if let failure { throw failure }
        try spliceChildren(from: 0)
        if frame.countAt >= 0 { patchVarint(at: frame.countAt, frame.count) }
    }

    /// Splices the child encoders created at or after `start` into the buffer, last first.
    private func spliceChildren(from start: Int) throws {
        while let last = pending.last, last.offset >= start {
            pending.removeLast()
            let child = last.encoder
            try child.finish()
            var chunk: [UInt8] = []
            if child.frame.isNil {
                chunk.append(0)
            } else {
                chunk.reserveCapacity(child.bytes.count + 10)
                BinaryVarint.append(UInt64(child.bytes.count + 1), to: &chunk)
                chunk.append(contentsOf: child.bytes)
            }
            bytes.insert(contentsOf: chunk, at: last.offset)
        }
    }

    /// Creates a child encoder whose bytes will be inserted at the current end of the buffer.
    private func makeChild(key: some CodingKey) -> BinaryEncoder {
        if _slowPath(codingPath.count >= BinaryCodec.maximumDepth) { tooDeep() }
        let child = BinaryEncoder(codingPath: codingPath + [key], topLevel: false)
        pending.append(PendingChild(offset: bytes.count, encoder: child))
        return child
    }

    // MARK: - Container operations

    /// Writes a keyed-container entry.
    func encodeEntry<T: Encodable>(_ value: T, forKey key: some CodingKey, frameID: Int) throws {
        try check(frameID)
        writeKey(key)
        let headerAt = bytes.count
        bytes.append(0)
        if writeBuiltIn(value, delimited: false) {
            patchVarint(at: headerAt, bytes.count - headerAt)
        } else {
            try encodeFrame(value, headerAt: headerAt, key: key)
        }
    }

    /// Writes a keyed-container entry holding an explicit nil.
    func encodeNilEntry(forKey key: some CodingKey, frameID: Int) throws {
        try check(frameID)
        writeKey(key)
        bytes.append(0)
    }

    /// Writes an unkeyed-container element.
    func encodeElement<T: Encodable>(_ value: T, frameID: Int) throws {
        try check(frameID)
        let index = frame.count
        frame.count += 1
        if writeBuiltIn(value, delimited: true) { return }
        let headerAt = bytes.count
        bytes.append(0)
        try encodeFrame(value, headerAt: headerAt, key: BinaryIndexKey(index))
    }

    /// Writes an unkeyed-container element holding nil.
    func encodeNilElement(frameID: Int) throws {
        try check(frameID)
        frame.count += 1
        bytes.append(0)
    }

    /// Writes the single value of the current frame.
    func encodeSingle<T: Encodable>(_ value: T, frameID: Int) throws {
        try check(frameID)
        if frame.presencePending {
            bytes.append(1)
            frame.contentStart = bytes.count
        }
        if writeBuiltIn(value, delimited: false) {
            frame.presencePending = false
        } else {
            // The value delegates to its own single-value container, whose nil-ness the frame
            // header no longer carries: the next level owes a presence byte.
            frame.presencePending = true
            try value.encode(to: self)
        }
    }

    /// Marks the current frame's single value as nil.
    func encodeSingleNil(frameID: Int) throws {
        try check(frameID)
        if frame.presencePending {
            frame.presencePending = false
            bytes.append(0)
            frame.contentStart = bytes.count
        } else {
            frame.isNil = true
        }
    }

    /// Starts a nested container, super encoder or element in a child encoder.
    func nestedEncoder(forKey key: some CodingKey, frameID: Int) -> BinaryEncoder {
        if frame.id != frameID { fail("a nested container was requested from a stale container") }
        writeKey(key)
        return makeChild(key: key)
    }

    /// Starts a nested element of an unkeyed container in a child encoder.
    func nestedElementEncoder(frameID: Int) -> BinaryEncoder {
        if frame.id != frameID { fail("a nested container was requested from a stale container") }
        let index = frame.count
        frame.count += 1
        return makeChild(key: BinaryIndexKey(index))
    }

    // MARK: - Bytes

    @inline(__always)
    private func writeVarint(_ value: UInt64) { BinaryVarint.append(value, to: &bytes) }

    /// Overwrites the one-byte placeholder at `index` with `value` as a varint.
    private func patchVarint(at index: Int, _ value: Int) { BinaryVarint.patch(value, at: index, in: &bytes) }

    @inline(__always)
    private func writeKey(_ key: some CodingKey) {
        var name = key.stringValue
        name.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    @inline(__always)
    private func writeFixed64(_ value: UInt64) {
        var value = value
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value &>>= 8
        }
    }

    @inline(__always)
    private func writeFixed32(_ value: UInt32) {
        var value = value
        for _ in 0..<4 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value &>>= 8
        }
    }

    @inline(__always)
    private func writeString(_ value: String, delimited: Bool) {
        var value = value
        value.withUTF8 { utf8 in
            if delimited { writeVarint(UInt64(utf8.count)) }
            bytes.append(contentsOf: utf8)
        }
    }

    @inline(__always)
    private func writeRaw(_ raw: UnsafeRawBufferPointer, delimited: Bool) {
        if delimited { writeVarint(UInt64(raw.count)) }
        bytes.append(contentsOf: raw)
    }

    /// Writes `value` if its type has a built-in encoding (see ``BinaryCodec``).
    ///
    /// - Parameter delimited: Length-prefix variable-length values (unkeyed elements).
    /// - Returns: `false`, writing nothing, for any other type.
    @inline(__always)
    func writeBuiltIn<T>(_ value: T, delimited: Bool) -> Bool {
        guard let kind = BinaryBuiltIn(T.self) else { return false }
        switch kind {
        case .string: writeString(unsafeBitCast(value, to: String.self), delimited: delimited)
        case .int: writeVarint(unsafeBitCast(value, to: Int.self).zigzag)
        case .double: writeFixed64(unsafeBitCast(value, to: Double.self).bitPattern)
        case .bool: bytes.append(unsafeBitCast(value, to: Bool.self) ? 1 : 0)
        case .int64: writeVarint(unsafeBitCast(value, to: Int64.self).zigzag)
        case .date: writeFixed64(unsafeBitCast(value, to: Date.self).timeIntervalSinceReferenceDate.bitPattern)
        case .uint8: bytes.append(unsafeBitCast(value, to: UInt8.self))
        case .int32: writeVarint(unsafeBitCast(value, to: Int32.self).zigzag)
        case .uint64: writeVarint(unsafeBitCast(value, to: UInt64.self))
        case .uint32: writeVarint(UInt64(unsafeBitCast(value, to: UInt32.self)))
        case .float: writeFixed32(unsafeBitCast(value, to: Float.self).bitPattern)
        case .bytes: unsafeBitCast(value, to: [UInt8].self).withUnsafeBytes { writeRaw($0, delimited: delimited) }
        case .data: unsafeBitCast(value, to: Data.self).withUnsafeBytes { writeRaw($0, delimited: delimited) }
        case .decimal: writeString(unsafeBitCast(value, to: Decimal.self).description, delimited: delimited)
        case .url: writeString(unsafeBitCast(value, to: URL.self).absoluteString, delimited: delimited)
        case .uint: writeVarint(UInt64(unsafeBitCast(value, to: UInt.self)))
        case .int16: writeVarint(unsafeBitCast(value, to: Int16.self).zigzag)
        case .uint16: writeVarint(UInt64(unsafeBitCast(value, to: UInt16.self)))
        case .int8: bytes.append(UInt8(bitPattern: unsafeBitCast(value, to: Int8.self)))
        }
        return true
    }
}

/// An array position as a coding key, formatted lazily (`Index 3`).
struct BinaryIndexKey: CodingKey {
    let index: Int

    init(_ index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }

    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
}

// MARK: - Containers

/// A keyed container writing `key, header, value` entries into a ``BinaryEncoder``.
struct BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: BinaryEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put<T: Encodable>(_ value: T, _ key: Key) throws {
        try encoder.encodeEntry(value, forKey: key, frameID: frameID)
    }

    mutating func encodeNil(forKey key: Key) throws { try encoder.encodeNilEntry(forKey: key, frameID: frameID) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try put(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try put(value, key) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        encoder.nestedEncoder(forKey: key, frameID: frameID).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder.nestedEncoder(forKey: key, frameID: frameID).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        encoder.nestedEncoder(forKey: BinaryCodingKey.super, frameID: frameID)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.nestedEncoder(forKey: key, frameID: frameID)
    }
}

/// An unkeyed container writing a count-prefixed element sequence into a ``BinaryEncoder``.
struct BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: BinaryEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.frame.id == frameID ? encoder.frame.count : 0 }

    mutating func encodeNil() throws { try encoder.encodeNilElement(frameID: frameID) }
    mutating func encode(_ value: Bool) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: String) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Double) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Float) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Int) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Int8) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Int16) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Int32) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: Int64) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: UInt) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: UInt8) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: UInt16) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: UInt32) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode(_ value: UInt64) throws { try encoder.encodeElement(value, frameID: frameID) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeElement(value, frameID: frameID) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        encoder.nestedElementEncoder(frameID: frameID).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        encoder.nestedElementEncoder(frameID: frameID).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        encoder.nestedElementEncoder(frameID: frameID)
    }
}

/// A single-value container writing the whole current frame of a ``BinaryEncoder``.
struct BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: BinaryEncoder
    let frameID: Int

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { try encoder.encodeSingleNil(frameID: frameID) }
    mutating func encode(_ value: Bool) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: String) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Double) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Float) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Int) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Int8) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Int16) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Int32) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: Int64) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: UInt) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: UInt8) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: UInt16) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: UInt32) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode(_ value: UInt64) throws { try encoder.encodeSingle(value, frameID: frameID) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeSingle(value, frameID: frameID) }
}
