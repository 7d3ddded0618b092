import Foundation
import Testing

@testable import Flowstate

/// Foundation's coders configured as `JSONSerde` behaves: ISO-8601 dates, unescaped slashes.
private func foundationEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = .withoutEscapingSlashes
    return encoder
}

private func foundationDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
}

/// A record of the kinds topologies put on topics, generated at random.
private struct Fixture: Codable, Equatable {
    struct Child: Codable, Equatable {
        var name: String
        var weight: Double
        var tags: [String]
    }

    enum Kind: String, Codable {
        case alpha, beta
    }

    var text: String
    var number: Int
    var small: Int8
    var large: UInt64
    var ratio: Double
    var single: Float
    var flag: Bool
    var maybe: String?
    var maybeNumber: Int?
    var list: [Int]
    var children: [Child]
    var child: Child?
    var kind: Kind
    var grid: [[Double]]
    var optionals: [Bool?]

    static func random(using generator: inout SeededRandom) -> Fixture {
        Fixture(
            text: randomString(using: &generator), number: Int.random(in: .min ... .max, using: &generator),
            small: Int8.random(in: .min ... .max, using: &generator), large: generator.next(),
            ratio: randomDouble(using: &generator), single: Float(randomDouble(using: &generator) / 1e290),
            flag: Bool.random(using: &generator),
            maybe: Bool.random(using: &generator) ? randomString(using: &generator) : nil,
            maybeNumber: Bool.random(using: &generator) ? Int.random(in: -1000...1000, using: &generator) : nil,
            list: (0..<Int.random(in: 0...5, using: &generator)).map { _ in Int.random(in: -1_000_000...1_000_000, using: &generator) },
            children: (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                Child(name: randomString(using: &generator), weight: randomDouble(using: &generator),
                      tags: (0..<Int.random(in: 0...2, using: &generator)).map { _ in randomString(using: &generator) })
            },
            child: Bool.random(using: &generator) ? Child(name: "c", weight: 0.5, tags: []) : nil,
            kind: Bool.random(using: &generator) ? .alpha : .beta,
            grid: [[randomDouble(using: &generator)], [], [1, -0.0]],
            optionals: [true, nil, false])
    }

    static func randomString(using generator: inout SeededRandom) -> String {
        let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{0}", "\u{1}", "\u{1F}",
                                      "\u{7F}", "é", "ß", "世", "界", "\u{2028}", "\u{FEFF}", "😀", "🚀", "{", "}", "[", ",", ":"]
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...24, using: &generator) { text.append(pool.randomElement(using: &generator)!) }
        return String(text)
    }

    static func randomDouble(using generator: inout SeededRandom) -> Double {
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: return Double(Int.random(in: -100_000...100_000, using: &generator))
        case 1: return Double(Int.random(in: -100_000...100_000, using: &generator)) / 100
        case 2: return Double.random(in: -1e-300...1e-300, using: &generator)
        case 3: return Double(Int64.random(in: .min ... .max, using: &generator)) * 1e10
        default:
            let value = Double(bitPattern: generator.next())
            return value.isFinite ? value : 1.5
        }
    }
}

@Suite struct FastJSONCodingTests {
    /// Foundation on Linux writes object members in hash order, so bytes are compared for arrays.
    @Test func writesTheSameStringsAndNumbersAsFoundation() throws {
        var generator = SeededRandom(seed: 42)
        for _ in 0..<200 {
            let strings = (0..<8).map { _ in Fixture.randomString(using: &generator) }
            #expect(try FastJSONEncoder.encode(strings) == Array(foundationEncoder().encode(strings)), "\(strings)")
            let doubles = (0..<8).map { _ in Fixture.randomDouble(using: &generator) }
            #expect(try FastJSONEncoder.encode(doubles) == Array(foundationEncoder().encode(doubles)), "\(doubles)")
            let integers = (0..<8).map { _ in Int.random(in: .min ... .max, using: &generator) >> Int.random(in: 0..<64, using: &generator) }
            #expect(try FastJSONEncoder.encode(integers) == Array(foundationEncoder().encode(integers)))
        }
    }

    @Test func readsWhatFoundationWritesAndFoundationReadsWhatItWrites() throws {
        var generator = SeededRandom(seed: 7)
        for index in 0..<500 {
            let value = Fixture.random(using: &generator)
            let encoder = foundationEncoder()
            if index.isMultiple(of: 2) { encoder.outputFormatting = [.prettyPrinted, .sortedKeys] }
            #expect(try FastJSONDecoder.decode(Fixture.self, from: Array(encoder.encode(value))) == value)
            #expect(try foundationDecoder().decode(Fixture.self, from: Data(FastJSONEncoder.encode(value))) == value)
        }
    }

    @Test func roundTripsEveryKindOfValueBothWaysWithFoundation() throws {
        let value = Everything.sample(finite: true)
        let ours = try FastJSONEncoder.encode(value)
        #expect(try foundationDecoder().decode(Everything.self, from: Data(ours)) == value)
        #expect(try FastJSONDecoder.decode(Everything.self, from: Array(foundationEncoder().encode(value))) == value)
        #expect(try foundationDecoder().decode(Order.self, from: Data(FastJSONEncoder.encode(Order.sample))) == Order.sample)
    }

    @Test func writesNumbersAsFoundationDoes() throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1.5, 1e15, 1e16, 123_456_789_012_345_680, 1e-7, .leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.000_1, 1e21, 2.5e-5]
        #expect(try FastJSONEncoder.encode(doubles) == Array(foundationEncoder().encode(doubles)))
        let floats: [Float] = [0, 1, 1.1, 16_777_216, 1e7, 3.4e38, .leastNonzeroMagnitude]
        #expect(try FastJSONEncoder.encode(floats) == Array(foundationEncoder().encode(floats)))
        let integers: [Int64] = [.min, .max, 0, -1, 10, 99, 100]
        #expect(try FastJSONEncoder.encode(integers) == Array(foundationEncoder().encode(integers)))
        #expect(try FastJSONEncoder.encode([UInt64.max]) == Array("[18446744073709551615]".utf8))
    }

    @Test func readsEscapesSurrogatePairsAndNumbers() throws {
        #expect(try FastJSONDecoder.decode(String.self, from: Array(#""a\u00e9\ud83d\ude00\n\/\"""#.utf8)) == "aé😀\n/\"")
        #expect(try FastJSONDecoder.decode([Int].self, from: Array(" [1, -0, 1.0, 1e2, -9223372036854775808] ".utf8))
                == [1, 0, 1, 100, .min])
        #expect(try FastJSONDecoder.decode([Double].self, from: Array("[1e3, -2.5E-3, 0.1, 123456789012345678]".utf8))
                == [1000, -0.0025, 0.1, 123_456_789_012_345_680])
        #expect(try FastJSONDecoder.decode([String: Int].self, from: Array(#"{"a\"b": 1, "é": 2}"#.utf8))
                == ["a\"b": 1, "é": 2])
    }

    @Test func rejectsMalformedInputWithTheByteOffset() {
        let cases: [(json: String, reason: String)] = [
            ("", "unexpected end of data at byte 0"),
            ("{", "unexpected end of data"),
            (#"{"a":1,}"#, "unexpected '}' at byte 7"),
            (#"{"a" 1}"#, "unexpected '1'"),
            ("[1 2]", "unexpected '2' at byte 3"),
            ("01", "cannot start with 0"),
            ("1.", "a fraction needs a digit"),
            ("-", "a number needs a digit"),
            ("1e+", "an exponent needs a digit"),
            ("nul", "unexpected end of data"),
            ("tru e", "unexpected"),
            (#""abc"#, "unterminated string"),
            ("\"a\u{1}b\"", "unescaped control character"),
            (#""\x""#, "invalid escape"),
            (#""\u12G4""#, "invalid hexadecimal digit"),
            (#""\ud800""#, "not followed by a low surrogate"),
            (#""\udc00""#, "lone low surrogate"),
            ("[1] x", "after the value"),
            ("NaN", "unexpected 'N'"),
            ("'a'", "unexpected '''"),
        ]
        for (json, reason) in cases {
            let error = #expect(throws: DecodingError.self, "\(json)") {
                try FastJSONDecoder.decode(AnyValueProbe.self, from: Array(json.utf8))
            }
            let text = error.map { CodingErrorText.describe($0) } ?? ""
            #expect(text.contains(reason) && text.contains("not valid JSON"), "\(json): \(text)")
        }
        for bytes: [[UInt8]] in [[[0x22, 0xFF, 0x22]], [[0x22, 0xC0, 0x80, 0x22]], [[0x22, 0xED, 0xA0, 0x80, 0x22]],
                                  [[0x22, 0xE2, 0x82, 0x22]]] {
            for input in bytes {
                #expect(throws: DecodingError.self) { try FastJSONDecoder.decode(String.self, from: input) }
            }
        }
    }

    @Test func deepNestingThrowsInsteadOfOverflowingTheStack() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        let error = #expect(throws: DecodingError.self) { try FastJSONDecoder.decode([Int].self, from: deep) }
        #expect(error.map { CodingErrorText.describe($0).contains("nesting deeper than 512") } == true)
    }

    @Test func mutatedInputNeverCrashesAndIsNeverAcceptedWhereFoundationRejects() throws {
        var generator = SeededRandom(seed: 99)
        let alphabet = Array(#"{}[],:"\ 0123456789.eE+-tfnul"#.utf8) + [0x00, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = try FastJSONEncoder.encode(Fixture.random(using: &generator))
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
                }
            }
            guard let ours = try? FastJSONDecoder.decode(Fixture.self, from: bytes) else { continue }
            accepted += 1
            let foundation = try? foundationDecoder().decode(Fixture.self, from: Data(bytes))
            #expect(foundation == ours, "accepted what Foundation reads differently: \(bytes)")
        }
        #expect(accepted < 3_000)
    }

    @Test func typeMismatchesAndMissingKeysAreFoundationsErrors() {
        let mismatch = #expect(throws: DecodingError.self) {
            try FastJSONDecoder.decode(AccountV1.self, from: Array(#"{"id":"a","balance":"1","history":[]}"#.utf8))
        }
        guard case .typeMismatch(_, let context)? = mismatch else { Issue.record("\(String(describing: mismatch))"); return }
        #expect(CodingErrorText.path(context.codingPath) == "balance")

        let missing = #expect(throws: DecodingError.self) {
            try FastJSONDecoder.decode(AccountV1.self, from: Array(#"{"id":"a","history":[]}"#.utf8))
        }
        guard case .keyNotFound(let key, _)? = missing else { Issue.record("\(String(describing: missing))"); return }
        #expect(key.stringValue == "balance")

        let null = #expect(throws: DecodingError.self) {
            try FastJSONDecoder.decode(AccountV1.self, from: Array(#"{"id":"a","balance":1,"history":[1,null]}"#.utf8))
        }
        guard case .valueNotFound(_, let context)? = null else { Issue.record("\(String(describing: null))"); return }
        #expect(CodingErrorText.path(context.codingPath) == "history[1]")

        let overflow = #expect(throws: DecodingError.self) { try FastJSONDecoder.decode(Int8.self, from: Array("128".utf8)) }
        #expect(overflow.map { CodingErrorText.describe($0).contains("does not fit in Int8") } == true)
        #expect(throws: DecodingError.self) { try FastJSONDecoder.decode(Int.self, from: Array("1.5".utf8)) }
        #expect(throws: DecodingError.self) { try FastJSONDecoder.decode(Double.self, from: Array("1e400".utf8)) }
        #expect(throws: DecodingError.self) { try FastJSONDecoder.decode(UInt.self, from: Array("-1".utf8)) }
    }

    @Test func containersWrittenOutOfOrderAreSplicedIntoPlace() throws {
        let value = Interleaved(first: 1, inner: [2, 3], last: "x")
        let ours = try FastJSONEncoder.encode(value)
        #expect(String(decoding: ours, as: UTF8.self) == #"{"first":1,"inner":{"values":[2,3]},"tail":[9],"last":"x"}"#)
        #expect(try FastJSONDecoder.decode(Interleaved.self, from: ours) == value)
        #expect(try foundationDecoder().decode(Interleaved.self, from: Data(ours)) == value)
    }

    @Test func encodesTopLevelFragmentsAndRejectsEmptyValues() throws {
        #expect(try FastJSONEncoder.encode("a/b") == Array(#""a/b""#.utf8))
        #expect(try FastJSONEncoder.encode(Optional<Int>.none) == Array("null".utf8))
        #expect(try FastJSONEncoder.encode([String: Int]()) == Array("{}".utf8))
        #expect(throws: EncodingError.self) { try FastJSONEncoder.encode(Nothing()) }
        #expect(try FastJSONEncoder.encode([Nothing()]) == Array("[{}]".utf8))
    }
}

/// Accepts any JSON value by skipping it (decodes nothing), to probe syntax errors alone.
private struct AnyValueProbe: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// Encodes nothing at all.
private struct Nothing: Codable {
    func encode(to encoder: any Encoder) throws {}
}

/// Writes a nested container, then more parent members, then into the nested container.
private struct Interleaved: Codable, Equatable {
    var first: Int
    var inner: [Int]
    var last: String

    enum CodingKeys: String, CodingKey { case first, inner, last, tail }
    enum InnerKeys: String, CodingKey { case values }

    init(first: Int, inner: [Int], last: String) {
        self.first = first
        self.inner = inner
        self.last = last
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        first = try container.decode(Int.self, forKey: .first)
        last = try container.decode(String.self, forKey: .last)
        inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner).decode([Int].self, forKey: .values)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(first, forKey: .first)
        var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
        var tail = container.nestedUnkeyedContainer(forKey: .tail)
        try container.encode(last, forKey: .last)
        try nested.encode(inner, forKey: .values)
        try tail.encode(9)
    }
}
