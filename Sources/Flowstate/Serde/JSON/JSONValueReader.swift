/// Reads single JSON values out of input that ``JSONValidator`` has accepted.
///
/// Every read is still bounds-checked: a broken invariant surfaces as a thrown error, never a
/// trap or an out-of-bounds access.
struct JSONValueReader {
    let bytes: UnsafeBufferPointer<UInt8>

    /// What kind of value starts at an offset, for type-mismatch messages.
    func kind(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of data" }
        switch bytes[offset] {
        case JSONByte.quote: return "a string"
        case JSONByte.openBrace: return "a dictionary"
        case JSONByte.openBracket: return "an array"
        case JSONByte.lowerT, JSONByte.lowerF: return "bool"
        case JSONByte.lowerN: return "null"
        default: return "a number"
        }
    }

    @inline(__always)
    func isNull(at offset: Int) -> Bool {
        offset < bytes.count && bytes[offset] == JSONByte.lowerN
    }

    @inline(__always)
    func skipWhitespace(from offset: Int) -> Int {
        var index = offset
        while index < bytes.count, JSONByte.isWhitespace(bytes[index]) { index += 1 }
        return index
    }

    /// The offset just past the (validated) value starting at `offset`.
    func end(ofValueAt offset: Int) throws(JSONSyntaxError) -> Int {
        guard offset < bytes.count else { throw JSONSyntaxError(offset: offset, reason: "unexpected end of data") }
        switch bytes[offset] {
        case JSONByte.quote:
            return try end(ofStringAt: offset).end
        case JSONByte.openBrace, JSONByte.openBracket:
            var depth = 0
            var index = offset
            while index < bytes.count {
                switch bytes[index] {
                case JSONByte.quote:
                    index = try end(ofStringAt: index).end
                    continue
                case JSONByte.openBrace, JSONByte.openBracket:
                    depth += 1
                case JSONByte.closeBrace, JSONByte.closeBracket:
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            throw JSONSyntaxError(offset: index, reason: "unexpected end of data")
        default:
            var index = offset
            while index < bytes.count {
                switch bytes[index] {
                case JSONByte.comma, JSONByte.closeBrace, JSONByte.closeBracket, 0x20, 0x0A, 0x0D, 0x09:
                    return index
                default:
                    index += 1
                }
            }
            return index
        }
    }

    /// The offset past the closing quote of the string at `offset`, and whether it contains escapes.
    @inline(__always)
    func end(ofStringAt offset: Int) throws(JSONSyntaxError) -> (end: Int, escaped: Bool) {
        var index = offset + 1
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == JSONByte.quote { return (index + 1, escaped) }
            if byte == JSONByte.backslash {
                escaped = true
                index += 2
            } else {
                index += 1
            }
        }
        throw JSONSyntaxError(offset: offset, reason: "unterminated string")
    }

    /// The string whose opening quote is at `offset`.
    func string(at offset: Int) throws(JSONSyntaxError) -> String {
        let (end, escaped) = try end(ofStringAt: offset)
        return try string(contentFrom: offset + 1, to: end - 1, escaped: escaped)
    }

    /// Decodes string content (between the quotes), unescaping when needed.
    func string(contentFrom start: Int, to end: Int, escaped: Bool) throws(JSONSyntaxError) -> String {
        let content = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if !escaped { return String(decoding: content, as: UTF8.self) }
        var scalars = [UInt8]()
        scalars.reserveCapacity(content.count)
        var index = 0
        while index < content.count {
            let byte = content[index]
            guard byte == JSONByte.backslash else {
                scalars.append(byte)
                index += 1
                continue
            }
            guard index + 1 < content.count else { throw JSONSyntaxError(offset: start + index, reason: "bad escape") }
            let escapeByte = content[index + 1]
            index += 2
            switch escapeByte {
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case JSONByte.lowerU:
                var unit = try hexQuad(content, at: index, base: start)
                index += 4
                var scalarValue = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 6 <= content.count, content[index] == JSONByte.backslash,
                          content[index + 1] == JSONByte.lowerU
                    else { throw JSONSyntaxError(offset: start + index, reason: "lone high surrogate") }
                    unit = try hexQuad(content, at: index + 2, base: start)
                    index += 6
                    scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (UInt32(unit) - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else {
                    throw JSONSyntaxError(offset: start + index, reason: "invalid unicode escape")
                }
                scalars.append(contentsOf: UTF8.encode(scalar)!)
            default:
                scalars.append(escapeByte)
            }
        }
        return String(decoding: scalars, as: UTF8.self)
    }

    private func hexQuad(_ content: UnsafeBufferPointer<UInt8>, at index: Int, base: Int) throws(JSONSyntaxError) -> UInt16 {
        guard index + 4 <= content.count else { throw JSONSyntaxError(offset: base + index, reason: "bad \\u escape") }
        var unit: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = JSONByte.hexValue(content[index + offset]) else {
                throw JSONSyntaxError(offset: base + index + offset, reason: "bad \\u escape")
            }
            unit = unit << 4 | digit
        }
        return unit
    }

    /// Whether the string at `offset` (quote included) equals `key`, without allocating.
    @inline(__always)
    func rawKeyEquals(start: Int, end: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = end - start
        guard count == key.count else { return false }
        var index = 0
        while index < count {
            if bytes[start + index] != key[index] { return false }
            index += 1
        }
        return true
    }

    /// The number text starting at `offset`: its bytes and whether it is a plain integer.
    func numberText(at offset: Int) throws(JSONSyntaxError) -> (text: UnsafeBufferPointer<UInt8>, isInteger: Bool) {
        let end = try end(ofValueAt: offset)
        let text = UnsafeBufferPointer(rebasing: bytes[offset..<end])
        var isInteger = true
        for byte in text where byte == JSONByte.dot || byte == JSONByte.lowerE || byte == JSONByte.upperE {
            isInteger = false
            break
        }
        return (text, isInteger)
    }

    /// Parses a plain integer (optional minus, digits) into `T`, or nil if it overflows.
    @inline(__always)
    func integer<T: FixedWidthInteger>(_ text: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
        var index = 0
        let negative = text.first == JSONByte.minus
        if negative {
            guard T.isSigned else { return text.count == 2 && text[1] == JSONByte.zero ? 0 : nil }
            index = 1
        }
        var value: T = 0
        while index < text.count {
            let digit = T(text[index] &- JSONByte.zero)
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
            index += 1
        }
        return value
    }
}
