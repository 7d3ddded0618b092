import Foundation
import Testing

@testable import Flowstate

@Suite struct BinarySerdeTests {
    let serde = BinarySerde<Everything>()

    // MARK: - Round trips

    @Test func roundTripsEveryKindOfValueIncludingNonFiniteDoubles() throws {
        let original = Everything.sample(finite: false)
        let decoded = try serde.deserialize(serde.serialize(original))

        #expect(decoded.notANumber.isNaN)
        #expect(decoded.negativeZero == 0 && decoded.negativeZero.sign == .minus)
        #expect(decoded.positiveInfinity == .infinity)
        #expect(decoded.negativeInfinity == -.infinity)
        #expect(decoded.date == original.date, "dates round-trip bit-exactly, sub-second included")
        #expect(decoded.absent == nil && decoded.absentInner == nil)
        #expect(decoded.withoutNaN == original.withoutNaN)
    }

    @Test func roundTripsRealisticOrder() throws {
        let serde = BinarySerde<Order>()
        var order = Order.sample
        #expect(try serde.deserialize(serde.serialize(order)) == order)

        order.note = "leave at the door"
        order.payment = .cash(-3)
        order.lines = []
        #expect(try serde.deserialize(serde.serialize(order)) == order)
    }

    @Test func outputIsSmallerThanJSON() throws {
        let binary = try BinarySerde<Order>().serialize(Order.sample)
        let json = try JSONSerde<Order>().serialize(Order.sample)
        #expect(binary.count < json.count, "binary \(binary.count) bytes, JSON \(json.count) bytes")
        let numbers = try BinarySerde<[Int]>().serialize(Array(0..<100))
        let numbersJSON = try JSONSerde<[Int]>().serialize(Array(0..<100))
        #expect(numbers.count * 2 < numbersJSON.count)
    }

    @Test func encodingIsDeterministic() throws {
        let serde = BinarySerde<Order>()
        #expect(try serde.serialize(Order.sample) == serde.serialize(Order.sample))
    }

    // MARK: - Evolution

    @Test func addedOptionalFieldDecodesAsNilFromOldBytes() throws {
        let old = AccountV1(id: "acc-1", balance: -250, history: [1, 2, 3])
        let bytes = try BinarySerde<AccountV1>().serialize(old)

        let upgraded = try BinarySerde<AccountV2>().deserialize(bytes)

        #expect(upgraded == AccountV2(id: "acc-1", balance: -250, history: [1, 2, 3], nickname: nil))
    }

    @Test func removedFieldIsIgnoredByOldReaders() throws {
        let new = AccountV2(id: "acc-1", balance: 7, history: [], nickname: "savings")
        let bytes = try BinarySerde<AccountV2>().serialize(new)

        #expect(try BinarySerde<AccountV1>().deserialize(bytes) == AccountV1(id: "acc-1", balance: 7, history: []))
    }

    @Test func addedRequiredFieldFailsNamingTheKey() throws {
        let bytes = try BinarySerde<AccountV1>().serialize(AccountV1(id: "a", balance: 1, history: []))

        let error = #expect(throws: FlowstateError.self) {
            try BinarySerde<AccountV2Required>().deserialize(bytes)
        }
        #expect(error?.code == .deserialization)
        #expect(error?.message.contains("AccountV2Required") == true)
        #expect(error?.message.contains("nickname") == true)
    }

    // MARK: - Malformed input

    @Test func everyTruncationThrowsDeserialization() throws {
        let serde = BinarySerde<Order>()
        let bytes = try serde.serialize(Order.sample)
        for length in 0..<bytes.count {
            let error = #expect(throws: FlowstateError.self, "prefix of \(length) bytes") {
                try serde.deserialize(Array(bytes.prefix(length)))
            }
            #expect(error?.code == .deserialization)
        }
    }

    @Test func corruptedBytesNeverTrap() throws {
        let serde = BinarySerde<Order>()
        let bytes = try serde.serialize(Order.sample)
        var failures = 0
        for index in bytes.indices {
            for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] where bytes[index] != replacement {
                var corrupted = bytes
                corrupted[index] = replacement
                do {
                    _ = try serde.deserialize(corrupted)
                } catch {
                    #expect(error.code == .deserialization)
                    failures += 1
                }
            }
        }
        #expect(failures > bytes.count, "most single-byte corruptions must be detected")
    }

    @Test func randomGarbageThrowsDeserialization() {
        var random = SeededRandom(seed: 42)
        let serde = BinarySerde<Everything>()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &random)
            let garbage = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            let error = #expect(throws: FlowstateError.self) { try serde.deserialize(garbage) }
            #expect(error?.code == .deserialization)
        }
    }

    @Test func hugeCountsAndLengthsThrowInsteadOfAllocating() {
        let varintMax: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let cases: [[UInt8]] = [
            varintMax,  // an array claiming 2^63-1 elements
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // an 11-byte varint
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02],  // a varint overflowing 64 bits
        ]
        for bytes in cases {
            #expect(throws: FlowstateError.self) { try BinarySerde<[Int]>().deserialize(bytes) }
            #expect(throws: FlowstateError.self) { try BinarySerde<[String]>().deserialize(bytes) }
            #expect(throws: FlowstateError.self) { try BinarySerde<Order>().deserialize(bytes) }
        }
        // A keyed entry whose value length points far past the end.
        #expect(throws: FlowstateError.self) {
            try BinarySerde<AccountV1>().deserialize([2, 0x69, 0x64] + varintMax)
        }
    }

    @Test func invalidUTF8InAStringThrows() {
        // {"id": <0xFF 0xFE>, "balance": 0, "history": []}
        let bytes: [UInt8] = [2, 0x69, 0x64, 3, 0xFF, 0xFE] + [7] + Array("balance".utf8) + [2, 0]
            + [7] + Array("history".utf8) + [2, 0]
        let error = #expect(throws: FlowstateError.self) { try BinarySerde<AccountV1>().deserialize(bytes) }
        #expect(error?.code == .deserialization)
        #expect(error?.message.contains("UTF-8") == true)
        #expect(error?.message.contains("id") == true)
    }

    @Test func decodingErrorNamesTypeAndCodingPath() throws {
        struct StrictLine: Codable {
            var sku: String
            var discount: Int
        }
        struct StrictOrder: Codable {
            var id: String
            var lines: [StrictLine]
        }
        let bytes = try BinarySerde<Order>().serialize(Order.sample)

        let error = #expect(throws: FlowstateError.self) { try BinarySerde<StrictOrder>().deserialize(bytes) }

        #expect(error?.code == .deserialization)
        #expect(error?.message.contains("StrictOrder") == true)
        #expect(error?.message.contains("'discount'") == true)
        #expect(error?.message.contains("lines[0]") == true, "message: \(error?.message ?? "")")
    }

    @Test func encodingFailureThrowsSerialization() {
        struct Refuses: Codable {
            var value = 1
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(value, .init(codingPath: encoder.codingPath, debugDescription: "no"))
            }
        }
        let error = #expect(throws: FlowstateError.self) { try BinarySerde<[Refuses]>().serialize([Refuses()]) }
        #expect(error?.code == .serialization)
        #expect(error?.message.contains("Refuses") == true)
    }
}
