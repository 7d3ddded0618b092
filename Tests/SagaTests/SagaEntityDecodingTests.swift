@testable import Saga
import Testing

@Suite struct SagaEntityDecodingTests {
    struct Basket: Codable, Equatable {
        struct Line: Codable, Equatable { var sku: String; var quantity: Int }
        var lines: [Line]
        var note: String?
    }

    func execution(_ entity: JSONObject) -> SagaExecution {
        SagaExecution(transactionID: "t", idempotencyKey: "t:1", action: .do, stepKey: 1, entity: entity, hints: [:],
                      errorContext: [:], retryContext: SagaRetryContext(retryCount: 0, attempt: 1))
    }

    @Test func aNestedFieldIsNamedByItsJSONPath() {
        let entity: JSONObject = ["lines": [["sku": "a", "quantity": 1], ["quantity": 2]]]
        #expect(throws: SagaEndpointError.nonRetryable(
            "the entity does not decode as Basket: field lines[1].sku is missing",
            context: ["error_code": "ENTITY_NOT_DECODABLE", "entity_type": "Basket", "field": "lines[1].sku"])) {
            try execution(entity).entity(as: Basket.self)
        }
    }

    @Test func aNullRequiredFieldIsNamedAsNull() throws {
        let error = try #require(throws: SagaEndpointError.self) {
            try execution(["lines": nil]).entity(as: Basket.self)
        }
        #expect(error.kind == .nonRetryable)
        #expect(error.message.hasPrefix("the entity does not decode as Basket: field lines is null"))
    }

    @Test func anEntityThatDecodesIsReturnedTyped() throws {
        let basket = try execution(["lines": [["sku": "a", "quantity": 3]], "extra": true]).entity(as: Basket.self)
        #expect(basket == Basket(lines: [.init(sku: "a", quantity: 3)], note: nil))
    }

    @Test func storingAnUpdatedValueReplacesItsMembersDropsClearedOptionalsAndKeepsUnknownMembers() throws {
        var entity: JSONObject = ["lines": [], "note": "gift", "extra": true]
        let asRead = try JSONObject(encoding: Basket(lines: [], note: "gift"))
        try entity.store(Basket(lines: [.init(sku: "b", quantity: 1)], note: nil), asRead: asRead)
        #expect(entity == ["lines": [["sku": "b", "quantity": 1]], "extra": true])
    }
}
