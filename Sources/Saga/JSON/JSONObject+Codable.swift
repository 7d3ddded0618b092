public import Flowstate

extension Dictionary where Key == String, Value == JSONValue {
    /// The JSON object a `Codable` value encodes as: a typed saga entity as the start record's
    /// value, or anywhere else a ``JSONObject`` is expected.
    ///
    /// ```swift
    /// try starts.pipeInput(key: "tx-1", value: JSONObject(encoding: Order(username: "alice", totalAmount: 120)))
    /// ```
    ///
    /// The members are what `value`'s `Encodable` conformance writes, under its coding keys, in
    /// the JSON format of every topic (``Flowstate/JSONSerde``).
    ///
    /// - Throws: ``Flowstate/FlowstateError`` with code ``Flowstate/FlowstateError/Code/serialization``
    ///   for a value JSON cannot hold (a non-finite `Double`) or one that does not encode as an object.
    public init<Entity: Codable>(encoding value: Entity) throws(FlowstateError) {
        let bytes = try JSONSerde<Entity>().serialize(value)
        do {
            self = try JSONSerde<JSONObject>().deserialize(bytes)
        } catch {
            throw FlowstateError(.serialization, "\(Entity.self) does not encode as a JSON object", underlying: error)
        }
    }

    /// The object decoded as `type`.
    ///
    /// - Throws: ``SagaEntityDecodingFailure`` naming the type and the field at fault.
    func decoded<Entity: Codable>(as type: Entity.Type) throws(SagaEntityDecodingFailure) -> Entity {
        do {
            return try JSONSerde<Entity>().deserialize(JSONSerde<JSONObject>().serialize(self))
        } catch {
            throw SagaEntityDecodingFailure(type: type, error: error.underlying ?? error)
        }
    }

    /// Writes `updated` back into the object: the members it encodes replace the object's, the
    /// members `asRead` (the value as first read, encoded) had and `updated` no longer encodes
    /// (optionals set to `nil`) are removed, and members the type does not know stay.
    ///
    /// - Throws: ``Flowstate/FlowstateError`` when `updated` cannot be encoded as an object.
    mutating func store<Entity: Codable>(_ updated: Entity, asRead: JSONObject) throws(FlowstateError) {
        let members = try JSONObject(encoding: updated)
        for key in asRead.keys where members[key] == nil { self[key] = nil }
        merge(members) { $1 }
    }
}
