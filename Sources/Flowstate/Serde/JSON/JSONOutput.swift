/// Writes JSON tokens (strings, numbers) into a byte buffer.
enum JSONOutput {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `string` as a quoted JSON string, escaping `"`, `\` and control characters.
    ///
    /// `/` is not escaped (Foundation writes `\/` unless `.withoutEscapingSlashes`); both are
    /// standard JSON and read back the same.
    @inline(__always)
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, to: &bytes) }
    }

    static func appendString(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(JSONByte.quote)
        var runStart = 0
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte >= 0x20 && byte != JSONByte.quote && byte != JSONByte.backslash {
                index += 1
                continue
            }
            if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            bytes.append(JSONByte.backslash)
            switch byte {
            case JSONByte.quote: bytes.append(JSONByte.quote)
            case JSONByte.backslash: bytes.append(JSONByte.backslash)
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(contentsOf: [JSONByte.lowerU, JSONByte.zero, JSONByte.zero,
                                          hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
            index += 1
            runStart = index
        }
        if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
        bytes.append(JSONByte.quote)
    }

    /// Appends an integer in decimal without allocating.
    @inline(__always)
    static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        if value >= 0 && value < 10 {
            bytes.append(JSONByte.zero + UInt8(truncatingIfNeeded: value))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(JSONByte.minus) }
        // UInt64.max has 20 digits.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var position = digits.count
            repeat {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                position -= 1
                digits[position] = JSONByte.zero + UInt8(truncatingIfNeeded: remainder)
                magnitude = quotient
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position...]))
        }
    }

    /// Appends a finite floating-point number as Foundation's `JSONEncoder` writes it:
    /// Swift's shortest round-tripping `description`, without a trailing `.0`.
    static func appendFloatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T, to bytes: inout [UInt8]) {
        // Doubles below 1e15 print in positional notation: write integral ones without formatting.
        if T.self == Double.self, value == value.rounded(.towardZero), value.magnitude < 1e15,
           !(value == 0 && value.sign == .minus) {
            appendInteger(Int64(value), to: &bytes)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }
}
