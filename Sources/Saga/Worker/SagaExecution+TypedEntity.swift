import Flowstate

extension SagaExecution {
    /// The entity decoded as the `Codable` type `type`.
    ///
    /// ```swift
    /// let order = try execution.entity(as: Order.self)
    /// ```
    ///
    /// - Throws: A non-retryable ``SagaEndpointError`` whose message names the type and the field
    ///   that does not decode (`the entity does not decode as Order: field total_amount is
    ///   missing`), with context `error_code` `ENTITY_NOT_DECODABLE`, `entity_type` and `field`.
    ///   Let it propagate: the step fails for good and the saga compensates.
    public func entity<Entity: Codable>(as type: Entity.Type) throws(SagaEndpointError) -> Entity {
        do {
            return try entity.decoded(as: type)
        } catch {
            throw error.endpointError
        }
    }

    /// Writes `updated` back into ``entity`` (see `JSONObject.store(_:asRead:)`).
    ///
    /// - Throws: A non-retryable ``SagaEndpointError`` when `updated` cannot be encoded.
    mutating func storeEntity<Entity: Codable>(_ updated: Entity, asRead: JSONObject) throws(SagaEndpointError) {
        do {
            try entity.store(updated, asRead: asRead)
        } catch {
            throw SagaEndpointError.nonRetryable("the entity does not encode as \(Entity.self): \(error.message)",
                                                 context: ["error_code": "ENTITY_NOT_ENCODABLE", "entity_type": "\(Entity.self)"])
        }
    }
}
