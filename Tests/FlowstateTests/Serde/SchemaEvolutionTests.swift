import Flowstate
import Testing

/// A loan as version 1 writes it.
private struct LoanV1: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, approved }
    var id: String
    var status: Status
    var amount: Int
}

/// Version 2: an optional field and a status between two existing ones.
private struct LoanV2: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, reviewed, approved }
    var id: String
    var status: Status
    var amount: Int
    var reviewer: String?
}

/// `amount` removed.
private struct LoanWithoutAmount: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, approved }
    var id: String
    var status: Status
}

/// The status `approved` renamed to `accepted`.
private struct LoanRenamedStatus: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, accepted }
    var id: String
    var status: Status
    var amount: Int
}

/// The field `amount` renamed to `principal`.
private struct LoanRenamedField: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, approved }
    var id: String
    var status: Status
    var principal: Int
}

/// `amount` retyped from `Int` to `String`.
private struct LoanRetypedAmount: Codable, Equatable {
    enum Status: String, Codable { case draft, submitted, approved }
    var id: String
    var status: Status
    var amount: String
}

/// Which changes to a stored or published type old bytes survive (see `docs/upgrades.md`).
@Suite struct SchemaEvolutionTests {
    private let old = LoanV1(id: "l1", status: .approved, amount: 900)

    @Test func anAddedOptionalFieldAndAnAddedStatusReadOldBinaryAndJSON() throws {
        let binary = try BinarySerde<LoanV2>().deserialize(try BinarySerde<LoanV1>().serialize(old))
        #expect(binary == LoanV2(id: "l1", status: .approved, amount: 900, reviewer: nil))
        let json = try JSONSerde<LoanV2>().deserialize(try JSONSerde<LoanV1>().serialize(old))
        #expect(json == LoanV2(id: "l1", status: .approved, amount: 900, reviewer: nil))
    }

    @Test func version1ReadsVersion2sValuesWhileTheyAvoidTheNewStatus() throws {
        let new = LoanV2(id: "l2", status: .submitted, amount: 5, reviewer: "ana")
        #expect(try BinarySerde<LoanV1>().deserialize(try BinarySerde<LoanV2>().serialize(new))
                == LoanV1(id: "l2", status: .submitted, amount: 5))
        #expect(try JSONSerde<LoanV1>().deserialize(try JSONSerde<LoanV2>().serialize(new))
                == LoanV1(id: "l2", status: .submitted, amount: 5))
        let reviewed = LoanV2(id: "l3", status: .reviewed, amount: 5, reviewer: "ana")
        #expect(throws: FlowstateError.self) { try BinarySerde<LoanV1>().deserialize(try BinarySerde<LoanV2>().serialize(reviewed)) }
        #expect(throws: FlowstateError.self) { try JSONSerde<LoanV1>().deserialize(try JSONSerde<LoanV2>().serialize(reviewed)) }
    }

    @Test func aRemovedFieldIsIgnored() throws {
        #expect(try BinarySerde<LoanWithoutAmount>().deserialize(try BinarySerde<LoanV1>().serialize(old))
                == LoanWithoutAmount(id: "l1", status: .approved))
        #expect(try JSONSerde<LoanWithoutAmount>().deserialize(try JSONSerde<LoanV1>().serialize(old))
                == LoanWithoutAmount(id: "l1", status: .approved))
    }

    @Test func aRenamedStatusOrFieldFailsNamingTheField() throws {
        let bytes = try BinarySerde<LoanV1>().serialize(old)
        #expect {
            try BinarySerde<LoanRenamedStatus>().deserialize(bytes)
        } throws: { error in
            (error as? FlowstateError)?.code == .deserialization && "\(error)".contains("status")
        }
        #expect {
            try BinarySerde<LoanRenamedField>().deserialize(bytes)
        } throws: { error in
            (error as? FlowstateError)?.code == .deserialization && "\(error)".contains("principal")
        }
    }

    @Test func aRetypedFieldFailsInJSONButMayBeMisreadInBinary() throws {
        #expect(throws: FlowstateError.self) { try JSONSerde<LoanRetypedAmount>().deserialize(try JSONSerde<LoanV1>().serialize(old)) }
        // The binary format carries no types: 50's zigzag varint is the byte 100, UTF-8 "d".
        let fifty = LoanV1(id: "l1", status: .approved, amount: 50)
        let misread = try BinarySerde<LoanRetypedAmount>().deserialize(try BinarySerde<LoanV1>().serialize(fifty))
        #expect(misread.amount == "d")
    }
}
