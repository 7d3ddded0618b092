import ArgumentParser
import Flowstate
import Saga

/// What `command` and `show` need of a registered state machine, its entity type erased.
struct RegisteredMachine: Sendable {
    let name: String
    let commandsTopic: String
    let entityStore: String
    let historyStore: String
    let indexStore: String
    /// Every command name of its manual steps, and the re-drive.
    let commands: [String]
    /// A stored entity (its store's binary bytes) as its status and JSON.
    let describeStored: @Sendable ([UInt8]) throws -> (status: String, json: String)
    /// A new entity given as JSON, checked, as the record that submits it: the initial status's
    /// topic, the partition key and the JSON value.
    let submission: @Sendable ([UInt8]) throws -> (topic: String, key: String, id: String, value: [UInt8])

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
        commands = names + [StateMachine<Entity>.redriveCommand]
        submission = { json in
            let entity: Entity
            do {
                entity = try JSONSerde<Entity>().deserialize(json)
            } catch {
                throw ValidationError("--data: not a \(Entity.self): \((error as? FlowstateError)?.message ?? "\(error)")")
            }
            guard entity.status == machine.initialStatus else {
                throw ValidationError("--data: new \(machine.name) entities start in \(machine.initialStatus.rawValue), "
                                      + "not \(entity.status.rawValue)")
            }
            return (machine.topic(of: entity.status), entity.partitionKey, entity.id, try JSONSerde<Entity>().serialize(entity))
        }
        describeStored = { bytes in
            let entity = try BinarySerde<Entity>().deserialize(bytes)
            return (entity.status.rawValue, String(decoding: try JSONSerde<Entity>().serialize(entity), as: UTF8.self))
        }
    }
}
