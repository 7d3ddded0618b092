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
