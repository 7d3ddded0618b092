import Flowstate
import Saga

/// What `command` and `show` need of a registered state machine, its entity type erased.
struct RegisteredMachine: Sendable {
    let name: String
    let commandsTopic: String
    let entityStore: String
    let historyStore: String
    let indexStore: String
    /// Every command name of its manual steps.
    let commands: [String]
    /// A stored entity (its store's binary bytes) as its status and JSON.
    let describeStored: @Sendable ([UInt8]) throws -> (status: String, json: String)

    init<Entity: StateMachineEntity>(_ machine: StateMachine<Entity>) {
        name = machine.name
        commandsTopic = machine.commandsTopic
        entityStore = machine.entityStore
        historyStore = machine.historyStore
        indexStore = machine.indexStore
        var names: [String] = []
        for transition in machine.transitions {
            if case .command(let name) = transition.trigger, !names.contains(name) { names.append(name) }
        }
        commands = names
        describeStored = { bytes in
            let entity = try BinarySerde<Entity>().deserialize(bytes)
            return (entity.status.rawValue, String(decoding: try JSONSerde<Entity>().serialize(entity), as: UTF8.self))
        }
    }
}
