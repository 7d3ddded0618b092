import ArgumentParser
import Flowstate
import FlowstateKafka
import Saga

/// The records of manual actions — a command to a state machine's entity, a saga's re-drive —
/// checked and built in one place for the CLI's commands and the pod's HTTP endpoints, which
/// send them to the same topics.
enum ManualAction {
    /// A command for `entityID` of the registered machine `machine`, to `<machine>.commands`.
    ///
    /// - Throws: `ValidationError` naming what is wrong (unknown machine or command, no actor,
    ///   an argument that is not `key=value`).
    static func command(machine: String, entityID: String, command: String, actor: String,
                        arguments: [String: String]) throws -> KafkaProducerRecord {
        let registered = try PodCatalog.machine(named: machine)
        guard registered.commands.contains(command) else {
            throw ValidationError("\(machine) has no command '\(command)'; its commands: \(registered.commands.joined(separator: ", "))")
        }
        guard !entityID.isEmpty else { throw ValidationError("the entity id must not be empty") }
        guard !actor.isEmpty else { throw ValidationError("the actor must not be empty") }
        let message = StateMachineCommand(entityID: entityID, name: command, actor: actor, arguments: arguments)
        return KafkaProducerRecord(topic: registered.commandsTopic, key: Array(entityID.utf8),
                                   value: try JSONSerde<StateMachineCommand>().serialize(message))
    }

    /// Arguments written `key=value`.
    static func arguments(_ pairs: [String]) throws -> [String: String] {
        var arguments: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("argument '\(pair)' is not key=value") }
            arguments[String(parts[0])] = String(parts[1])
        }
        return arguments
    }

    /// A re-drive of the saga instance `transactionID`, to `saga.redrive.<saga>`.
    ///
    /// - Throws: `ValidationError` for an unknown saga or no actor.
    static func redrive(saga: SagaDefinition, transactionID: String, actor: String) throws -> KafkaProducerRecord {
        guard !transactionID.isEmpty else { throw ValidationError("the transaction id must not be empty") }
        guard !actor.isEmpty else { throw ValidationError("the actor must not be empty") }
        return KafkaProducerRecord(topic: saga.redriveTopic, key: Array(transactionID.utf8),
                                   value: try JSONSerde<SagaRedrive>().serialize(SagaRedrive(actor: actor)))
    }
}
