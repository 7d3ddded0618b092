import Foundation
import Testing

import Flowstate

@Suite struct JSONSerdeTests {
    @Test func roundTripsEveryFiniteKindOfValue() throws {
        let serde = JSONSerde<Everything>()
        let original = Everything.sample(finite: true)
        let decoded = try serde.deserialize(serde.serialize(original))
        #expect(decoded == original)
        #expect(decoded.negativeZero.sign == .minus)
    }

    @Test func roundTripsRealisticOrder() throws {
        let serde = JSONSerde<Order>()
        #expect(try serde.deserialize(serde.serialize(Order.sample)) == Order.sample)
    }

    @Test func datesAreISO8601Strings() throws {
        let json = try #require(String(validating: JSONSerde<Order>().serialize(Order.sample), as: UTF8.self))
        #expect(json.contains("\"createdAt\":\"2024-05-01T12:00:00Z\""), "\(json)")

        let decoded = try JSONSerde<Stamp>().deserialize(Array(#"{"at":"2024-05-01T12:00:00Z"}"#.utf8))
        #expect(decoded.at == Date(timeIntervalSince1970: 1_714_564_800))
    }

    @Test func readsFractionalSecondsAndOffsetsButWritesWholeSeconds() throws {
        let serde = JSONSerde<Stamp>()
        let fractional = try serde.deserialize(Array(#"{"at":"2024-05-01T12:00:00.250Z"}"#.utf8))
        #expect(abs(fractional.at.timeIntervalSince1970 - 1_714_564_800.25) < 0.001)
        let offset = try serde.deserialize(Array(#"{"at":"2024-05-01T14:00:00+02:00"}"#.utf8))
        #expect(offset.at == Date(timeIntervalSince1970: 1_714_564_800))

        let written = try serde.serialize(Stamp(at: Date(timeIntervalSince1970: 1_714_564_800.75)))
        #expect(written == Array(#"{"at":"2024-05-01T12:00:00Z"}"#.utf8))
    }

    @Test func absentOptionalsAreOmitted() throws {
        let json = try #require(String(validating: JSONSerde<Order>().serialize(Order.sample), as: UTF8.self))
        #expect(!json.contains("note"))
        let decoded = try JSONSerde<AccountV2>().deserialize(Array(#"{"id":"a","balance":1,"history":[]}"#.utf8))
        #expect(decoded.nickname == nil)
    }

    @Test func readsRecordsWrittenByOtherServices() throws {
        let json = #"""
            {"total": 12.5, "id": "o-1", "customer": "Ann", "status": "shipped",
             "lines": [{"sku": "S", "quantity": 1, "unitPrice": 12.5}],
             "payment": {"cash": {"_0": 3}}, "createdAt": "2024-05-01T12:00:00Z", "note": null}
            """#
        let order = try JSONSerde<Order>().deserialize(Array(json.utf8))
        #expect(order.status == .shipped && order.payment == .cash(3) && order.note == nil)
    }

    @Test func wrongTypeNamesTypeAndCodingPath() {
        let json = #"""
            {"id": "o-1", "customer": "Ann", "status": "paid", "total": 1, "payment": "voucher",
             "createdAt": "2024-05-01T12:00:00Z", "lines": [{"sku": "S", "quantity": "two", "unitPrice": 1}]}
            """#
        let error = #expect(throws: FlowstateError.self) { try JSONSerde<Order>().deserialize(Array(json.utf8)) }
        #expect(error?.code == .deserialization)
        #expect(error?.message.contains("Order") == true)
        #expect(error?.message.contains("lines[0].quantity") == true, "message: \(error?.message ?? "")")
        #expect(error?.underlying is DecodingError)
    }

    @Test func missingKeyNamesTheKey() {
        let error = #expect(throws: FlowstateError.self) {
            try JSONSerde<AccountV1>().deserialize(Array(#"{"id":"a","history":[]}"#.utf8))
        }
        #expect(error?.message.contains("'balance'") == true, "message: \(error?.message ?? "")")
    }

    @Test func malformedJSONThrowsDeserialization() {
        for bytes: [UInt8] in [[], Array("{".utf8), Array("nul".utf8), [0xFF, 0xFE], Array(#"{"id": 1,}"#.utf8)] {
            let error = #expect(throws: FlowstateError.self) { try JSONSerde<AccountV1>().deserialize(bytes) }
            #expect(error?.code == .deserialization)
        }
    }

    @Test func nonFiniteDoubleThrowsSerialization() {
        let error = #expect(throws: FlowstateError.self) { try JSONSerde<[Double]>().serialize([1, .nan]) }
        #expect(error?.code == .serialization)
        #expect(error?.message.contains("[1]") == true, "message: \(error?.message ?? "")")
    }

    @Test func concurrentUseOfOneSerdeIsSafe() async throws {
        let serde = JSONSerde<Order>()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    var order = Order.sample
                    order.id = "ord-\(index)"
                    for _ in 0..<200 where try serde.deserialize(serde.serialize(order)) != order { return false }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}

private struct Stamp: Codable {
    var at: Date
}
