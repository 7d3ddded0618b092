import Foundation

/// ISO-8601 dates as JSON strings, the way ``JSONSerde`` writes and reads them.
///
/// Writing: UTC with whole seconds, `2024-05-01T12:00:00Z` (sub-second parts dropped, as
/// Foundation's `.iso8601` strategy does). Reading: `YYYY-MM-DDTHH:MM:SS`, optional fraction,
/// then `Z` or an offset (`+02:00`, `+0200`, `+02`); other ISO-8601 forms fall back to
/// Foundation's parser.
enum JSONDate {
    /// Appends the quoted ISO-8601 text of `date` to `bytes`.
    static func write(_ date: Date, to bytes: inout [UInt8]) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.magnitude < 2.5e11 else {
            bytes.append(JSONByte.quote)
            bytes.append(contentsOf: date.formatted(.iso8601).utf8)
            bytes.append(JSONByte.quote)
            return
        }
        let total = Int64(seconds)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = total - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else {
            bytes.append(JSONByte.quote)
            bytes.append(contentsOf: date.formatted(.iso8601).utf8)
            bytes.append(JSONByte.quote)
            return
        }
        bytes.append(JSONByte.quote)
        appendDigits(year, count: 4, to: &bytes)
        bytes.append(JSONByte.minus)
        appendDigits(month, count: 2, to: &bytes)
        bytes.append(JSONByte.minus)
        appendDigits(day, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &bytes)
        bytes.append(JSONByte.colon)
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &bytes)
        bytes.append(JSONByte.colon)
        appendDigits(secondOfDay % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(JSONByte.quote)
    }

    /// Parses ISO-8601 date-time text, or returns nil.
    static func parse(_ text: String) -> Date? {
        var text = text
        if let date = text.withUTF8({ parseInternetDateTime($0) }) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    private static func parseInternetDateTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 20 else { return nil }
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let digit = bytes[index + offset] &- JSONByte.zero
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            index += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(JSONByte.minus), let month = number(2), expect(JSONByte.minus),
              let day = number(2), expect(UInt8(ascii: "T")), let hour = number(2), expect(JSONByte.colon),
              let minute = number(2), expect(JSONByte.colon), let second = number(2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == JSONByte.dot {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, JSONByte.isDigit(bytes[index]) {
                fraction += Double(bytes[index] - JSONByte.zero) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case JSONByte.plus, JSONByte.minus:
            let sign: Int64 = bytes[index] == JSONByte.minus ? -1 : 1
            index += 1
            guard let hours = number(2), hours < 24 else { return nil }
            var minutes: Int64 = 0
            if index < bytes.count {
                _ = expect(JSONByte.colon)
                guard let value = number(2), value < 60 else { return nil }
                minutes = value
            }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func appendDigits(_ value: Int64, count: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(JSONByte.zero + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
