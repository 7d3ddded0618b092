import Flowstate
import Foundation

/// A realistic record of the kind a topology keeps: nested, optional and enum fields.
struct Order: Codable, Equatable {
    enum Status: String, Codable {
        case pending, paid, shipped
    }

    enum Payment: Codable, Equatable {
        case card(last4: String, amount: Double)
        case cash(Int)
        case voucher
    }

    struct Line: Codable, Equatable {
        var sku: String
        var quantity: Int
        var unitPrice: Double
    }

    var id: String
    var customer: String
    var note: String?
    var status: Status
    var lines: [Line]
    var payment: Payment
    var createdAt: Date
    /// Last and required, so every strict prefix of an encoding misses it.
    var total: Double

    static let sample = Order(
        id: "ord-7f3a9c", customer: "Zoë Ångström 🚀", note: nil, status: .paid,
        lines: [
            Line(sku: "SKU-001", quantity: 2, unitPrice: 19.99),
            Line(sku: "SKU-042", quantity: 1, unitPrice: 5.5),
        ],
        payment: .card(last4: "4242", amount: 45.48),
        createdAt: Date(timeIntervalSince1970: 1_714_564_800), total: 45.48)
}

/// Every kind of value the serdes must carry, with extremes.
struct Everything: Codable, Equatable {
    enum Direction: Int, Codable {
        case north = 1, south = -1
    }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case rectangle(width: Int, height: Int)
        case labelled(String, tags: [String])
        case empty
    }

    struct Inner: Codable, Equatable {
        var name: String
        var values: [Int]
        var child: Child?
    }

    struct Child: Codable, Equatable {
        var flag: Bool
    }

    var text: String
    var emptyText: String
    var intMin: Int
    var intMax: Int
    var int64Min: Int64
    var int64Max: Int64
    var int32: Int32
    var int16: Int16
    var int8Min: Int8
    var uint8Min: UInt8
    var uint8Max: UInt8
    var uint16: UInt16
    var uint32: UInt32
    var uint64Max: UInt64
    var uint: UInt
    var double: Double
    var negativeZero: Double
    var positiveInfinity: Double
    var negativeInfinity: Double
    var notANumber: Double
    var float: Float
    var yes: Bool
    var no: Bool
    var date: Date
    var present: String?
    var absent: String?
    var presentInner: Inner?
    var absentInner: Inner?
    var inner: Inner
    var inners: [Inner]
    var emptyInners: [Inner]
    var counts: [String: Int]
    var names: [Int: String]
    var emptyCounts: [String: Int]
    var direction: Direction
    var directions: [Direction]
    var shapes: [Shape]
    var maybes: [Int?]
    var grid: [[Int]]
    var bytes: [UInt8]
    var data: Data
    var decimal: Decimal
    var url: URL

    /// A value using every field; `finite` leaves out what JSON cannot represent.
    static func sample(finite: Bool) -> Everything {
        Everything(
            text: "héllo, 世界 — \u{1F600}\n\"quoted\"\\", emptyText: "",
            intMin: .min, intMax: .max, int64Min: .min, int64Max: .max, int32: -2_147_483_648, int16: 32_767,
            int8Min: .min, uint8Min: 0, uint8Max: .max, uint16: .max, uint32: .max, uint64Max: .max, uint: 1 << 40,
            double: 3.141_592_653_589_793, negativeZero: -0.0,
            positiveInfinity: finite ? 1e308 : .infinity, negativeInfinity: finite ? -1e308 : -.infinity,
            notANumber: finite ? 0 : .nan, float: 1.5,
            yes: true, no: false,
            date: finite
                ? Date(timeIntervalSince1970: 1_714_564_800) : Date(timeIntervalSinceReferenceDate: 123.456_789),
            present: "here", absent: nil,
            presentInner: Inner(name: "p", values: [], child: Child(flag: true)), absentInner: nil,
            inner: Inner(name: "inner", values: [0, -1, 1, 63, -64, 64, 127, 128, .max, .min], child: nil),
            inners: [
                Inner(name: "a", values: [1], child: Child(flag: false)),
                Inner(name: "", values: [], child: nil),
            ],
            emptyInners: [],
            counts: ["one": 1, "minus": -1, "": 0, "ключ": 42],
            names: [1: "one", -7: "minus seven", 0: ""],
            emptyCounts: [:],
            direction: .south, directions: [.north, .south],
            shapes: [.circle(radius: 2.5), .rectangle(width: 3, height: -4), .labelled("x", tags: ["a", "b"]), .empty],
            maybes: [1, nil, 0, nil],
            grid: [[1, 2], [], [3]],
            bytes: [0, 1, 127, 128, 255], data: Data([9, 8, 7]),
            decimal: Decimal(string: "12345.6789")!, url: URL(string: "https://example.com/a?b=c#d")!)
    }

    /// A copy with NaN replaced by zero, for `==` after checking `isNaN` separately.
    var withoutNaN: Everything {
        var copy = self
        if copy.notANumber.isNaN { copy.notANumber = 0 }
        return copy
    }
}

/// Version 1 of an evolving store value.
struct AccountV1: Codable, Equatable {
    var id: String
    var balance: Int
    var history: [Int]
}

/// Version 2 adds an optional field: the supported evolution.
struct AccountV2: Codable, Equatable {
    var id: String
    var balance: Int
    var history: [Int]
    var nickname: String?
}

/// Version 2 as it would be with a required new field: not a supported evolution.
struct AccountV2Required: Codable, Equatable {
    var id: String
    var balance: Int
    var history: [Int]
    var nickname: String
}

