import Testing

@testable import Flowstate

/// A type with a hand-written binary encoding covering every ``BinaryWriter`` field kind.
private struct Parcel: Codable, Equatable, BinaryDirectEncodable {
    enum Size: String, Codable { case small, large = "extra-large" }
    struct Label: Codable, Equatable, BinaryDirectEncodable {
        var text: String
        func encode(to writer: inout BinaryWriter) { writer.field("text", text) }
    }

    var id: String
    var size: Size
    var weight: Int
    var sentAt: Int64
    var fragile: Bool
    var volume: Double
    var note: String?
    var tracking: Int64?
    var label: Label
    var labels: [Label]

    func encode(to writer: inout BinaryWriter) {
        writer.field("id", id)
        writer.field("size", size)
        writer.field("weight", weight)
        writer.field("sentAt", sentAt)
        writer.field("fragile", fragile)
        writer.field("volume", volume)
        writer.field("note", ifPresent: note)
        writer.field("tracking", ifPresent: tracking)
        writer.field("label", label)
        writer.field("labels", labels)
    }
}

@Suite struct BinaryDirectEncodableTests {
    @Test func writesTheBytesOfTheEncodableConformance() throws {
        let long = String(repeating: "é", count: 200)  // headers longer than one varint byte
        let parcels = [
            Parcel(id: "p-1", size: .large, weight: -70_000, sentAt: 1_700_000_000_000, fragile: true, volume: -0.5,
                   note: "upstairs", tracking: 0, label: .init(text: "x"), labels: [.init(text: long), .init(text: "")]),
            Parcel(id: long, size: .small, weight: 0, sentAt: .min, fragile: false, volume: .infinity,
                   note: nil, tracking: nil, label: .init(text: long), labels: []),
        ]
        for parcel in parcels {
            let direct = try BinarySerde<Parcel>().serialize(parcel)
            #expect(direct == (try BinaryEncoder.encode(parcel)))
            #expect(try BinarySerde<Parcel>().deserialize(direct) == parcel)
        }
        #expect(try BinarySerde<[Parcel]>().serialize(parcels) == (try BinaryEncoder.encode(parcels)))
        #expect(try BinarySerde<[Parcel]>().deserialize(BinarySerde<[Parcel]>().serialize(parcels)) == parcels)
    }
}
