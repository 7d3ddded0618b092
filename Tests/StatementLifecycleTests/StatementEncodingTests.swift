@testable import Flowstate
import StatementLifecycle
import Testing

@Suite struct StatementEncodingTests {
    @Test func entityStoreBytesAreThoseOfTheCodableEncoding() throws {
        let statements = [
            Statement(id: "stmt-1", organisationId: "org-1", status: .paymentReceivedInitiated, amount: 123_456,
                      paymentMethod: .directDebit, updatedAt: 1_700_000_000_000, updatedBy: "auto-approval"),
            Statement(id: "", organisationId: "ørg", amount: -5, currency: "", paymentMethod: .manual),
        ]
        for statement in statements {
            let bytes = try BinarySerde<Statement>().serialize(statement)
            #expect(bytes == (try BinaryEncoder.encode(statement)))
            #expect(try BinarySerde<Statement>().deserialize(bytes) == statement)
        }
    }
}

@Suite struct StatementJSONTests {
    @Test func topicBytesAreThoseOfTheCodableEncodingAndReadBack() throws {
        let statement = Statement(id: "stmt-\"1\"", organisationId: "org/1", status: .waitingForApproval, amount: 99,
                                  currency: "EUR", paymentMethod: .manual, updatedAt: 1_700_000_000_123, updatedBy: "bob")
        let bytes = try JSONSerde<Statement>().serialize(statement)
        #expect(bytes == (try FastJSONEncoder.encode(statement)))
        #expect(FastJSONDecoder.decodeDirect(Statement.self, from: bytes) == statement)
        #expect(try JSONSerde<Statement>().deserialize(bytes) == statement)
    }
}
