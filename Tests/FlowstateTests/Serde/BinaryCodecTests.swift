import Foundation
import Testing

@testable import Flowstate

@Suite struct BinaryCodecTests {
    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try BinaryCodec.decode(T.self, from: BinaryCodec.encode(value))
    }

    // MARK: - Top-level values

    @Test func topLevelValuesRoundTrip() throws {
        #expect(try roundTrip(42) == 42)
        #expect(try roundTrip(Int.min) == Int.min)
        #expect(try roundTrip("") == "")
        #expect(try roundTrip("ünïcödé 🎉") == "ünïcödé 🎉")
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip(2.5) == 2.5)
        #expect(try roundTrip([1, -2, 3]) == [1, -2, 3])
        #expect(try roundTrip([String]()) == [])
        #expect(try roundTrip(["a", "", "c"]) == ["a", "", "c"])
        #expect(try roundTrip([[1], [], [2, 3]]) == [[1], [], [2, 3]])
        #expect(try roundTrip(Set(["x", "y"])) == Set(["x", "y"]))
        #expect(try roundTrip(["k": [1, 2], "": []]) == ["k": [1, 2], "": []])
        #expect(try roundTrip([1, nil, 3] as [Int?]) == [1, nil, 3])
        #expect(try roundTrip([nil, "b"] as [String?]) == [nil, "b"])
        #expect(try roundTrip(Optional<Int>.none) == nil)
        #expect(try roundTrip(Optional(0)) == 0)
        #expect(try roundTrip(Optional("")) == "")
        let empty = AccountV1(id: "", balance: 0, history: [])
        #expect(try roundTrip(Optional(empty)) == empty)
        #expect(try roundTrip(Optional<AccountV1>.none) == nil)
        #expect(try roundTrip(Int??.some(nil)) == .some(nil))
        #expect(try roundTrip(Int??.some(3)) == .some(3))
        #expect(try roundTrip(Int??.none) == .none)
        #expect(try roundTrip([Int??.some(nil), nil, 4]) == [.some(nil), nil, 4])
        #expect(try roundTrip([UInt8]()) == [])
        #expect(try roundTrip(Data([1, 2])) == Data([1, 2]))
    }

    @Test func builtInTypesUseCompactEncodings() throws {
        #expect(try BinaryCodec.encode(0) == [0])
        #expect(try BinaryCodec.encode(-1) == [1])
        #expect(try BinaryCodec.encode(1) == [2])
        #expect(try BinaryCodec.encode(64) == [0x80, 0x01])
        #expect(try BinaryCodec.encode(UInt64.max).count == 10)
        #expect(try BinaryCodec.encode(true) == [1])
        #expect(try BinaryCodec.encode("hé") == [0x68, 0xC3, 0xA9])
        #expect(try BinaryCodec.encode(1.0).count == 8)
        #expect(try BinaryCodec.encode(Float(1)).count == 4)
        #expect(try BinaryCodec.encode([UInt8](repeating: 7, count: 3)) == [7, 7, 7])
        #expect(try BinaryCodec.encode(["ab"]) == [1, 2, 0x61, 0x62])
        #expect(try BinaryCodec.encode(Optional<Int>.none) == [0])
        #expect(try BinaryCodec.encode(Optional(5)) == [1, 10])
        // "id" -> header 2, value "a"; "balance" -> header 2, value 2 (zigzag 1); "history" -> header 2, count 0.
        #expect(try BinaryCodec.encode(AccountV1(id: "a", balance: 1, history: []))
            == [2, 0x69, 0x64, 2, 0x61] + [7] + Array("balance".utf8) + [2, 2] + [7] + Array("history".utf8) + [2, 0])
    }

    @Test func varintBoundariesRoundTrip() throws {
        let signed: [Int64] = [0, -1, 1, 63, -64, 64, -65, 8191, 8192, .max, .min, .max - 1, .min + 1]
        #expect(try roundTrip(signed) == signed)
        let unsigned: [UInt64] = [0, 127, 128, 16_383, 16_384, .max, .max - 1]
        #expect(try roundTrip(unsigned) == unsigned)
        let small: [Int16] = [.min, -1, 0, 1, .max]
        #expect(try roundTrip(small) == small)
        let bytes: [Int8] = [.min, -1, 0, 1, .max]
        #expect(try roundTrip(bytes) == bytes)
    }

    @Test func outOfRangeIntegerThrows() throws {
        let bytes = try BinaryCodec.encode(Int64(Int32.max) + 1)
        let error = #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Int32.self, from: bytes) }
        #expect(error?.code == .deserialization)
        #expect(error?.message.contains("Int32") == true)
    }

    @Test func trailingBytesAfterTopLevelValueThrow() throws {
        #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Int.self, from: [2, 0]) }
        #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Bool.self, from: [2]) }
        #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Double.self, from: [1, 2, 3]) }
    }

    @Test func decodesFromBorrowedBuffer() throws {
        let bytes = try BinaryCodec.encode(Order.sample)
        let decoded = try bytes.withUnsafeBytes { raw in try BinaryCodec.decode(Order.self, from: raw) }
        #expect(decoded == Order.sample)
        #expect(throws: FlowstateError.self) {
            try [UInt8]().withUnsafeBytes { raw in try BinaryCodec.decode([Int]?.self, from: raw) }
        }
    }

    // MARK: - Long values (multi-byte headers and counts)

    @Test func longStringsArraysAndNestedValuesRoundTrip() throws {
        let long = String(repeating: "ab€", count: 200)
        let accounts = (0..<300).map { index in
            AccountV2(id: "acc-\(index)", balance: index * 1_000, history: Array(0..<(index % 7)),
                      nickname: index.isMultiple(of: 3) ? long : nil)
        }
        #expect(try roundTrip(accounts) == accounts)
        #expect(try roundTrip(AccountV2(id: long, balance: 1, history: Array(0..<500), nickname: long))
            == AccountV2(id: long, balance: 1, history: Array(0..<500), nickname: long))
        #expect(try roundTrip([long: accounts]) == [long: accounts])
        let interleaved = Interleaved(first: long, nested: Array(0..<200), later: long)
        #expect(try roundTrip(interleaved) == interleaved)
    }

    // MARK: - Hand-written Codable

    @Test func keysDecodeInAnyOrder() throws {
        let decoded = try roundTrip(AnyOrder(a: 1, b: "two", c: [3.0]))
        #expect(decoded == AnyOrder(a: 1, b: "two", c: [3.0]))
        #expect(decoded.sawKeys == ["a", "b", "c"], "allKeys lists keys in written order")
    }

    @Test func explicitNilIsDistinctFromAbsentKey() throws {
        let decoded = try roundTrip(NilProbe(explicitNil: true))
        #expect(decoded.explicitNil == true)
        let absent = try roundTrip(NilProbe(explicitNil: false))
        #expect(absent.explicitNil == false)
    }

    @Test func nestedContainersWrittenOutOfOrderRoundTrip() throws {
        let value = Interleaved(first: "f", nested: [1, 2, 3], later: "l")
        #expect(try roundTrip(value) == value)
        #expect(try roundTrip([value, value]) == [value, value])
    }

    @Test func superEncoderRoundTripsClassHierarchy() throws {
        let dog = Dog(name: "Rex", legs: 4, good: true)
        let decoded = try roundTrip(dog)
        #expect(decoded.name == "Rex" && decoded.legs == 4 && decoded.good)
        let pack = try roundTrip([dog, Dog(name: "Fido", legs: 3, good: false)])
        #expect(pack.map(\.name) == ["Rex", "Fido"] && pack.map(\.legs) == [4, 3])
    }

    @Test func unkeyedContainerHoldsMixedValues() throws {
        let value = Mixed(number: -5, text: "t", maybe: nil, inner: AccountV1(id: "x", balance: 2, history: [9]))
        #expect(try roundTrip(value) == value)
        let present = Mixed(number: 0, text: "", maybe: 7, inner: AccountV1(id: "", balance: 0, history: []))
        #expect(try roundTrip(present) == present)
    }

    @Test func singleValueWrappersRoundTrip() throws {
        let id = OrderID(raw: "ord-1")
        #expect(try roundTrip(id) == id)
        #expect(try roundTrip(Optional(id)) == id)
        #expect(try roundTrip([id, OrderID(raw: "")]) == [id, OrderID(raw: "")])
        #expect(try roundTrip(["k": id]) == ["k": id])
        #expect(try roundTrip([Optional(id), nil]) == [Optional(id), nil])
        #expect(try roundTrip(["k": OrderID??.some(nil), "j": .some(id)]) == ["k": .some(nil), "j": .some(id)])
        #expect(try BinaryCodec.encode(id) == [1] + Array("ord-1".utf8), "top level: presence byte, then the string")
    }

    @Test func nestingBeyondTheDepthLimitThrowsInsteadOfOverflowing() throws {
        let shallow = Node.chain(depth: 100)
        #expect(try roundTrip(shallow).depth == 100)

        let encodeError = #expect(throws: FlowstateError.self) { try BinaryCodec.encode(Node.chain(depth: 300)) }
        #expect(encodeError?.code == .serialization)

        // Bytes claiming 2,000 levels of `next`.
        var bytes: [UInt8] = []
        for _ in 0..<2_000 {
            var header: [UInt8] = []
            var length = UInt64(bytes.count + 1)
            while length >= 0x80 {
                header.append(UInt8(truncatingIfNeeded: length) | 0x80)
                length >>= 7
            }
            header.append(UInt8(length))
            bytes = [4] + Array("next".utf8) + header + bytes
        }
        let decodeError = #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Node.self, from: bytes) }
        #expect(decodeError?.code == .deserialization)
        #expect(decodeError?.message.contains("deeper") == true)
    }

    @Test func mixingKeyedAndUnkeyedContainersThrowsSerialization() {
        let error = #expect(throws: FlowstateError.self) { try BinaryCodec.encode(Confused()) }
        #expect(error?.code == .serialization)
    }

    @Test func decodingAsAnotherTypeThrowsDeserialization() throws {
        // The format carries no type tags, so only mismatches the structure reveals are detected
        // (a keyed value read as an array of integers, for one, may decode as garbage).
        let bytes = try BinaryCodec.encode(Order.sample)
        #expect(throws: FlowstateError.self) { try BinaryCodec.decode(AccountV1.self, from: bytes) }
        #expect(throws: FlowstateError.self) { try BinaryCodec.decode(Int?.self, from: bytes) }
    }
}

// MARK: - Hand-written Codable fixtures

/// Decodes its keys in reverse order and records `allKeys`.
private struct AnyOrder: Codable, Equatable {
    enum CodingKeys: String, CodingKey { case a, b, c }
    var a: Int
    var b: String
    var c: [Double]
    var sawKeys: [String] = []

    init(a: Int, b: String, c: [Double]) {
        self.a = a
        self.b = b
        self.c = c
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        c = try container.decode([Double].self, forKey: .c)
        a = try container.decode(Int.self, forKey: .a)
        #expect(container.contains(.b))
        b = try container.decode(String.self, forKey: .b)
        a = try container.decode(Int.self, forKey: .a)
        sawKeys = container.allKeys.map(\.stringValue)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(a, forKey: .a)
        try container.encode(b, forKey: .b)
        try container.encode(c, forKey: .c)
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.a == rhs.a && lhs.b == rhs.b && lhs.c == rhs.c }
}

/// Writes an explicit nil (or nothing) and checks how it reads back.
private struct NilProbe: Codable {
    enum CodingKeys: String, CodingKey { case value }
    var explicitNil: Bool

    init(explicitNil: Bool) { self.explicitNil = explicitNil }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.value) {
            #expect(try container.decodeNil(forKey: .value))
            #expect(try container.decodeIfPresent(Int.self, forKey: .value) == nil)
            #expect(throws: DecodingError.self) { try container.decode(Int.self, forKey: .value) }
            explicitNil = true
        } else {
            #expect(throws: DecodingError.self) { try container.decodeNil(forKey: .value) }
            explicitNil = false
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if explicitNil { try container.encodeNil(forKey: .value) }
    }
}

/// Writes a nested container, then a later key of the parent, then fills the nested one.
private struct Interleaved: Codable, Equatable {
    enum CodingKeys: String, CodingKey { case first, nested, later, box }
    enum BoxKeys: String, CodingKey { case inner }
    var first: String
    var nested: [Int]
    var later: String

    init(first: String, nested: [Int], later: String) {
        self.first = first
        self.nested = nested
        self.later = later
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(first, forKey: .first)
        var list = container.nestedUnkeyedContainer(forKey: .nested)
        var box = container.nestedContainer(keyedBy: BoxKeys.self, forKey: .box)
        try container.encode(later, forKey: .later)
        for value in nested { try list.encode(value) }
        try box.encode(later.count, forKey: .inner)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        later = try container.decode(String.self, forKey: .later)
        let box = try container.nestedContainer(keyedBy: BoxKeys.self, forKey: .box)
        #expect(try box.decode(Int.self, forKey: .inner) == later.count)
        var list = try container.nestedUnkeyedContainer(forKey: .nested)
        var values: [Int] = []
        #expect(list.count != nil)
        while !list.isAtEnd { values.append(try list.decode(Int.self)) }
        nested = values
        first = try container.decode(String.self, forKey: .first)
    }
}

/// A class hierarchy coded through `superEncoder()`/`superDecoder()`.
private class Animal: Codable {
    enum CodingKeys: String, CodingKey { case name }
    let name: String

    init(name: String) { self.name = name }

    required init(from decoder: any Decoder) throws {
        name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
    }
}

private final class Dog: Animal {
    enum DogKeys: String, CodingKey { case legs, good }
    let legs: Int
    let good: Bool

    init(name: String, legs: Int, good: Bool) {
        self.legs = legs
        self.good = good
        super.init(name: name)
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DogKeys.self)
        legs = try container.decode(Int.self, forKey: .legs)
        good = try container.decode(Bool.self, forKey: .good)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DogKeys.self)
        try container.encode(legs, forKey: .legs)
        try super.encode(to: container.superEncoder())
        try container.encode(good, forKey: .good)
    }
}

/// An unkeyed container with built-in, optional, nested and keyed elements.
private struct Mixed: Codable, Equatable {
    var number: Int
    var text: String
    var maybe: Int?
    var inner: AccountV1

    init(number: Int, text: String, maybe: Int?, inner: AccountV1) {
        self.number = number
        self.text = text
        self.maybe = maybe
        self.inner = inner
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(number)
        try container.encode(text)
        if let maybe { try container.encode(Optional(maybe)) } else { try container.encodeNil() }
        try container.encode(inner)
        var nested = container.nestedUnkeyedContainer()
        try nested.encode(text)
        try container.encode(number)
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        #expect(container.count == 6)
        number = try container.decode(Int.self)
        text = try container.decode(String.self)
        maybe = try container.decodeNil() ? nil : try container.decode(Int?.self)
        inner = try container.decode(AccountV1.self)
        var nested = try container.nestedUnkeyedContainer()
        #expect(try nested.decode(String.self) == text)
        #expect(try container.decode(Int.self) == number)
        #expect(container.isAtEnd)
        #expect(throws: DecodingError.self) { try container.decode(Int.self) }
    }
}

/// Misuses its encoder by asking for two kinds of container.
private struct Confused: Encodable {
    enum CodingKeys: String, CodingKey { case a }

    func encode(to encoder: any Encoder) throws {
        var unkeyed = encoder.unkeyedContainer()
        try unkeyed.encode(1)
        var keyed = encoder.container(keyedBy: CodingKeys.self)
        try keyed.encode(2, forKey: .a)
    }
}

/// A single-value wrapper, coded as the string it holds.
private struct OrderID: Codable, Equatable {
    var raw: String

    init(raw: String) { self.raw = raw }

    init(from decoder: any Decoder) throws {
        raw = try decoder.singleValueContainer().decode(String.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(raw)
    }
}

/// A recursive type, for the nesting limit.
private final class Node: Codable {
    let next: Node?

    init(next: Node?) { self.next = next }

    static func chain(depth: Int) -> Node {
        var node = Node(next: nil)
        for _ in 1..<depth { node = Node(next: node) }
        return node
    }

    var depth: Int {
        var count = 1
        var node = self
        while let next = node.next {
            count += 1
            node = next
        }
        return count
    }
}
