import ArgumentParser
import Flowstate
import FlowstateKafka
import Foundation
import Saga

/// `<pod> saga start|show`, for every registered saga.
struct SagaCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga", abstract: "Start sagas, show their state, re-drive those whose compensation failed.",
        subcommands: [Start.self, Show.self, Redrive.self])

    /// The registered saga named `name`; without a name, the only one registered.
    static func definition(named name: String?) throws -> SagaDefinition {
        if let name { return try PodCatalog.saga(named: name) }
        let sagas = PodCatalog.registrations.compactMap(\.saga)
        guard sagas.count == 1 else {
            throw ValidationError("--saga is required: this pod knows \(sagas.map(\.name).joined(separator: ", "))")
        }
        return sagas[0]
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a saga: sends its initial entity state to saga.start.<saga> and prints the transaction id.")

        @Argument(help: "The saga.")
        var saga: String
        @Option(help: "The initial domain entity state, a JSON object.")
        var data: String
        @Option(help: "The transaction id; default: a new UUID.")
        var transactionID: String?
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let definition = try SagaCommands.definition(named: saga)
            let entity: JSONObject
            do {
                entity = try JSONSerde<JSONObject>().deserialize(Array(data.utf8))
            } catch {
                throw ValidationError("--data: not a JSON object: \(error.message)")
            }
            let id = transactionID ?? UUID().uuidString.lowercased()
            let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: try cluster.servers()))
            _ = try await producer.send(KafkaProducerRecord(topic: definition.startTopic, key: Array(id.utf8),
                                                            value: try JSONSerde<JSONObject>().serialize(entity)))
            try await producer.close()
            print(id)
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a saga whose compensation failed, from the compensation where it stopped.",
            discussion: "Sends a re-drive to saga.redrive.<saga>; the orchestrator records it in the saga's history with the "
                + "actor, or rejects it with the reason on saga.rejections.<saga> (a saga that did not fail, an unknown one).")

        @Argument(help: "The transaction id.")
        var transactionID: String
        @Option(help: "Who re-drives it; recorded in the saga's history.")
        var actor: String
        @Option(help: "The saga; default: the only one the pod registers.")
        var saga: String?
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let definition = try SagaCommands.definition(named: saga)
            let record = try ManualAction.redrive(saga: definition, transactionID: transactionID, actor: actor)
            let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: try cluster.servers()))
            _ = try await producer.send(record)
            try await producer.close()
            print("sent re-drive of \(definition.name) \(transactionID) by \(actor)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a saga instance (status, step, entity, hints, history) from its store's changelog.")

        @Argument(help: "The transaction id.")
        var transactionID: String
        @Option(help: "The saga; default: the only one the pod registers.")
        var saga: String?
        @Option(help: "The orchestrator's application id; default: the saga's name.")
        var applicationID: String?
        @Flag(help: "Print the stored instance as JSON.")
        var json = false
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let definition = try SagaCommands.definition(named: saga)
            let topic = Topology.changelogTopic(applicationID: applicationID ?? definition.name, store: definition.instanceStore)
            guard let bytes = try await ChangelogReader(bootstrapServers: try cluster.servers())
                .latest(topic: topic, key: transactionID, partitionKey: transactionID) else {
                throw ValidationError("no saga \(transactionID) in \(topic)")
            }
            if json {
                print(String(decoding: bytes, as: UTF8.self))
                return
            }
            let instance = try JSONSerde<SagaInstance>().deserialize(bytes)
            print(SagaInstanceReport(instance).text, terminator: "")
        }
    }
}

/// A saga instance as text for people.
struct SagaInstanceReport {
    let instance: SagaInstance

    init(_ instance: SagaInstance) { self.instance = instance }

    var text: String {
        var lines = [
            "saga         \(instance.saga) \(instance.transactionID)",
            "status       \(instance.status.rawValue)",
            "step         \(instance.currentStepKey) (attempt \(instance.attempt))",
            "entity       \(JSONValue.object(instance.entity))",
            "hints        \(JSONValue.object(instance.hints))",
        ]
        if !instance.errorContext.isEmpty {
            lines.append("error        \(instance.errorContext.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
        if let failure = instance.failure { lines.append("failure      \(failure)") }
        lines.append("history")
        for entry in instance.history {
            let step = entry.stepKey.map { " \($0)" } ?? ""
            lines.append("  \(entry.at)  \(entry.event)\(step) → \(entry.status.rawValue)" + (entry.detail.map { "  (\($0))" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
