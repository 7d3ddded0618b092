/// Why bytes are not valid JSON (RFC 8259), with the byte offset where reading stopped.
struct JSONSyntaxError: Error {
    /// Offset of the offending byte from the start of the input.
    let offset: Int
    /// What was wrong, e.g. `unexpected character 'x'`.
    let reason: String

    /// The message carried by the `DecodingError` that reports this error.
    var text: String { "The given data was not valid JSON: \(reason) at byte \(offset)." }
}

/// ASCII bytes the JSON reader and writer look for.
enum JSONByte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let lowerE = UInt8(ascii: "e")
    static let upperE = UInt8(ascii: "E")
    static let lowerN = UInt8(ascii: "n")
    static let lowerT = UInt8(ascii: "t")
    static let lowerF = UInt8(ascii: "f")
    static let lowerU = UInt8(ascii: "u")

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt16? {
        switch byte {
        case zero...nine: UInt16(byte - zero)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt16(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Describes a byte for an error message: `'x'` for printable ASCII, `0xNN` otherwise.
    static func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}

/// Checks that bytes are exactly one JSON value (RFC 8259) surrounded by optional whitespace.
///
/// One pass over the input validates the grammar, string escapes (including surrogate pairs)
/// and UTF-8, and limits nesting depth, so the decoder that runs afterwards can locate values
/// without re-validating and malformed input fails before any `Decodable` code runs.
struct JSONValidator {
    /// Deepest nesting of arrays and objects accepted (as Foundation's decoder).
    static let maximumDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Validates the whole input and returns the offset where the value starts.
    mutating func validateDocument() throws(JSONSyntaxError) -> Int {
        skipWhitespace()
        let start = index
        try value(depth: 0)
        skipWhitespace()
        if index != bytes.count {
            throw JSONSyntaxError(offset: index, reason: "unexpected \(JSONByte.describe(bytes[index])) after the value")
        }
        return start
    }

    private func failure(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, reason: reason)
    }

    private func unexpected() -> JSONSyntaxError {
        index < bytes.count ? failure("unexpected \(JSONByte.describe(bytes[index]))") : failure("unexpected end of data")
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < bytes.count, JSONByte.isWhitespace(bytes[index]) { index += 1 }
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) {
        guard index < bytes.count else { throw failure("unexpected end of data") }
        switch bytes[index] {
        case JSONByte.openBrace: try object(depth: depth + 1)
        case JSONByte.openBracket: try array(depth: depth + 1)
        case JSONByte.quote: try string()
        case JSONByte.lowerT: try literal("true")
        case JSONByte.lowerF: try literal("false")
        case JSONByte.lowerN: try literal("null")
        case JSONByte.minus, JSONByte.zero...JSONByte.nine: try number()
        default: throw unexpected()
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) {
        if depth > Self.maximumDepth { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == JSONByte.closeBrace {
            index += 1
            return
        }
        while true {
            guard index < bytes.count, bytes[index] == JSONByte.quote else { throw unexpected() }
            try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == JSONByte.colon else { throw unexpected() }
            index += 1
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw unexpected() }
            if bytes[index] == JSONByte.comma {
                index += 1
                skipWhitespace()
            } else if bytes[index] == JSONByte.closeBrace {
                index += 1
                return
            } else {
                throw unexpected()
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) {
        if depth > Self.maximumDepth { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == JSONByte.closeBracket {
            index += 1
            return
        }
        while true {
            try value(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw unexpected() }
            if bytes[index] == JSONByte.comma {
                index += 1
                skipWhitespace()
            } else if bytes[index] == JSONByte.closeBracket {
                index += 1
                return
            } else {
                throw unexpected()
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of data") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            index += offset
            throw unexpected()
        }
        index += count
    }

    private mutating func number() throws(JSONSyntaxError) {
        if bytes[index] == JSONByte.minus { index += 1 }
        guard index < bytes.count, JSONByte.isDigit(bytes[index]) else { throw failure("a number needs a digit") }
        if bytes[index] == JSONByte.zero {
            index += 1
            if index < bytes.count, JSONByte.isDigit(bytes[index]) { throw failure("a number cannot start with 0") }
        } else {
            while index < bytes.count, JSONByte.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == JSONByte.dot {
            index += 1
            guard index < bytes.count, JSONByte.isDigit(bytes[index]) else { throw failure("a fraction needs a digit") }
            while index < bytes.count, JSONByte.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == JSONByte.lowerE || bytes[index] == JSONByte.upperE {
            index += 1
            if index < bytes.count, bytes[index] == JSONByte.plus || bytes[index] == JSONByte.minus { index += 1 }
            guard index < bytes.count, JSONByte.isDigit(bytes[index]) else { throw failure("an exponent needs a digit") }
            while index < bytes.count, JSONByte.isDigit(bytes[index]) { index += 1 }
        }
    }

    private mutating func string() throws(JSONSyntaxError) {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == JSONByte.quote {
                index += 1
                return
            } else if byte == JSONByte.backslash {
                try escape()
            } else if byte < 0x20 {
                throw failure("unescaped control character 0x\(String(byte, radix: 16)) in a string")
            } else if byte < 0x80 {
                index += 1
            } else {
                try utf8Sequence()
            }
        }
        throw failure("unterminated string")
    }

    private mutating func escape() throws(JSONSyntaxError) {
        index += 1
        guard index < bytes.count else { throw failure("unterminated string") }
        switch bytes[index] {
        case JSONByte.quote, JSONByte.backslash, JSONByte.slash, UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case JSONByte.lowerU:
            let unit = try hexQuad()
            if (0xD800...0xDBFF).contains(unit) {
                guard index + 1 < bytes.count, bytes[index] == JSONByte.backslash, bytes[index + 1] == JSONByte.lowerU
                else { throw failure("high surrogate \\u\(String(unit, radix: 16)) is not followed by a low surrogate") }
                index += 1
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure("high surrogate \\u\(String(unit, radix: 16)) is not followed by a low surrogate")
                }
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw failure("lone low surrogate \\u\(String(unit, radix: 16))")
            }
        default:
            throw failure("invalid escape \\\(Character(Unicode.Scalar(bytes[index])))")
        }
    }

    /// Reads `uXXXX` (index at the `u`) and returns the code unit.
    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt16 {
        guard index + 4 < bytes.count else { throw failure("unterminated \\u escape") }
        var unit: UInt16 = 0
        for offset in 1...4 {
            guard let digit = JSONByte.hexValue(bytes[index + offset]) else {
                index += offset
                throw failure("invalid hexadecimal digit in a \\u escape")
            }
            unit = unit << 4 | digit
        }
        index += 5
        return unit
    }

    /// Validates one multi-byte UTF-8 sequence (index at its lead byte), rejecting overlong forms and surrogates.
    private mutating func utf8Sequence() throws(JSONSyntaxError) {
        let lead = bytes[index]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw failure("invalid UTF-8 lead byte 0x\(String(lead, radix: 16))")
        }
        guard index + length <= bytes.count else { throw failure("truncated UTF-8 sequence") }
        let second = bytes[index + 1]
        guard second >= lower, second <= upper else { throw failure("invalid UTF-8 sequence") }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
            throw failure("invalid UTF-8 sequence")
        }
        index += length
    }
}
