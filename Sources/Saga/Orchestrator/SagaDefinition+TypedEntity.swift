/// Hooks over a `Codable` entity type, for sagas whose endpoints read the entity typed.
///
/// ```swift
/// let checkout = try SagaDefinition(
///     name: "checkout", steps: steps,
///     onNext: SagaDefinition.onNext(entity: Order.self) { step, order in order.lastCompletedStep = step.key })
/// ```
///
/// An entity that does not decode into the type makes the hook throw, with a message naming
/// the type and the field: after a primary step the saga compensates, after an undo its
/// compensation fails (the rules of ``SagaDefinition/OnNext`` and ``SagaDefinition/OnNextRevert``).
extension SagaDefinition {
    /// An ``OnNext`` hook that reads and updates the entity as `entity`; its changes are encoded
    /// back into the JSON entity (members the type does not know stay).
    public static func onNext<Entity: Codable & Sendable>(
        entity: Entity.Type, _ hook: @escaping @Sendable (_ step: SagaStep, _ entity: inout Entity) throws -> Void
    ) -> OnNext {
        { step, json in
            var value = try json.decoded(as: Entity.self)
            let asRead = (try? JSONObject(encoding: value)) ?? [:]
            try hook(step, &value)
            try json.store(value, asRead: asRead)
        }
    }

    /// An ``OnNextRevert`` hook that reads the entity as `entity` and may update the hints.
    public static func onNextRevert<Entity: Codable & Sendable>(
        entity: Entity.Type,
        _ hook: @escaping @Sendable (_ step: SagaStep, _ entity: Entity, _ hints: inout JSONObject) throws -> Void
    ) -> OnNextRevert {
        { step, json, hints in try hook(step, try json.decoded(as: Entity.self), &hints) }
    }
}
