import Testing

@testable import Flowstate

/// A type with hand-written JSON reading and writing covering every field kind.
private struct Ticket: Codable, Equatable, JSONDirectEncodable, JSONDirectDecodable {
    enum Kind: String, Codable { case bug, feature = "feature-request" }

    var id: String
    var kind: Kind
    var points: Int
    var openedAt: Int64
    var urgent: Bool
    var owner: String?

    init(id: String, kind: Kind, points: Int, openedAt: Int64, urgent: Bool, owner: String?) {
        (self.id, self.kind, self.points, self.openedAt, self.urgent, self.owner) = (id, kind, points, openedAt, urgent, owner)
    }

    init(json object: inout JSONObjectReader) throws {
        self.init(id: try object.string("id"), kind: try object.value("kind"), points: try object.int("points"),
                  openedAt: try object.int64("openedAt"), urgent: try object.bool("urgent"),
                  owner: try object.string(ifPresent: "owner"))
    }

    func encode(to object: inout JSONObjectWriter) {
        object.field("id", id)
        object.field("kind", kind)
        object.field("points", points)
        object.field("openedAt", openedAt)
        object.field("urgent", urgent)
        object.field("owner", ifPresent: owner)
    }
}

@Suite struct JSONDirectCodingTests {
    fileprivate let tickets = [
        Ticket(id: "t-1 \"quoted\" \\ / \n\u{1}é", kind: .feature, points: -3, openedAt: .max, urgent: true, owner: "ann"),
        Ticket(id: "", kind: .bug, points: 0, openedAt: .min, urgent: false, owner: nil),
    ]

    @Test func writesTheBytesOfTheEncodableConformance() throws {
        for ticket in tickets {
            #expect(try JSONSerde<Ticket>().serialize(ticket) == (try FastJSONEncoder.encode(ticket)))
        }
    }

    @Test func readsWhatTheDecodableConformanceReads() throws {
        for ticket in tickets {
            let bytes = try JSONSerde<Ticket>().serialize(ticket)
            #expect(FastJSONDecoder.decodeDirect(Ticket.self, from: bytes) == ticket)
            #expect(try JSONSerde<Ticket>().deserialize(bytes) == ticket)
        }
        let reordered = #" { "urgent" : false, "openedAt": 7, "points": 2.0, "kind": "bug", "id": "t\u0041", "extra": [1, {}], "owner": null } "#
        let expected = Ticket(id: "tA", kind: .bug, points: 2, openedAt: 7, urgent: false, owner: nil)
        #expect(try JSONSerde<Ticket>().deserialize(Array(reordered.utf8)) == expected)
    }

    @Test func inputTheDirectReadingRejectsFailsWithTheDecodableError() throws {
        let unknownKind = #"{"id":"t","kind":"chore","points":1,"openedAt":1,"urgent":true}"#
        let missingPoints = #"{"id":"t","kind":"bug","openedAt":1,"urgent":true}"#
        let malformed = #"{"id":"t","#
        for (json, message) in [(unknownKind, "chore"), (missingPoints, "points"), (malformed, "")] {
            #expect(FastJSONDecoder.decodeDirect(Ticket.self, from: Array(json.utf8)) == nil)
            let error = #expect(throws: FlowstateError.self) { try JSONSerde<Ticket>().deserialize(Array(json.utf8)) }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("Cannot decode") && text.contains(message), "\(text)")
        }
    }
}
