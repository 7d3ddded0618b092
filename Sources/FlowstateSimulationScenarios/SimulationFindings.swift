import Flowstate
import FlowstateKafka
import FlowstateTesting

/// The violations a scenario's ``SimulationScenario/verify(_:)`` found, collected while it
/// checks every entity, plus the decoding of the settled world's records and stores.
struct SimulationFindings {
    private(set) var violations: [SimulationViolation] = []

    /// Records a violation of `property` unless `condition` holds.
    mutating func expect(_ condition: Bool, _ property: SimulationProperty, _ detail: @autoclosure () -> String) {
        if !condition { violations.append(SimulationViolation(property, detail())) }
    }

    /// Records a violation of `property`.
    mutating func record(_ property: SimulationProperty, _ detail: String) {
        violations.append(SimulationViolation(property, detail))
    }
}

extension SimulationWorld {
    /// The read_committed records of `topic`, key as a string and value decoded as JSON.
    func decoded<Value: Codable>(_ topic: String, as type: Value.Type) throws -> [(key: String, value: Value)] {
        let serde = JSONSerde<Value>()
        return try readCommitted(topic).map { record in
            (String(decoding: record.key ?? [], as: UTF8.self), try serde.deserialize(record.value ?? []))
        }
    }

    /// A store's entries (union of every task), string keys, values decoded with `serde`.
    func store<S: Serde>(_ name: String, _ serde: S) throws -> [String: S.Value] {
        var entries: [String: S.Value] = [:]
        for (key, value) in stores[name] ?? [:] { entries[String(decoding: key, as: UTF8.self)] = try serde.deserialize(value) }
        return entries
    }

    /// The input records of `topic`, in production order, decoded as JSON.
    func inputs<Value: Codable>(_ topic: String, as type: Value.Type) throws -> [(key: String, value: Value)] {
        let serde = JSONSerde<Value>()
        return try inputs.filter { $0.topic == topic }.map { record in
            (String(decoding: record.key ?? [], as: UTF8.self), try serde.deserialize(record.value ?? []))
        }
    }
}
