import ArgumentParser
import Flowstate
import FlowstatePod
import FlowstateKafka
import Saga
import StatementLifecycle

/// `flowstate statement approve|show`.
struct StatementCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement", abstract: "Approve statements and show their state and history.",
        subcommands: [Approve.self, Show.self])

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve statements waiting for approval: sends `approve` commands to statement.commands.")

        @Argument(help: "The statement ids.")
        var statementIDs: [String]
        @Option(help: "Who approves; recorded in the statement's history.")
        var actor: String
        @OptionGroup var cluster: ClusterOptions

        func validate() throws {
            guard !statementIDs.isEmpty else { throw ValidationError("give at least one statement id") }
            guard !actor.isEmpty else { throw ValidationError("--actor must not be empty") }
        }

        func run() async throws {
            let machine = try StatementLifecycle.machine()
            let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: try cluster.servers()))
            let serde = JSONSerde<StateMachineCommand>()
            for id in statementIDs {
                let command = StateMachineCommand(entityID: id, name: StatementLifecycle.approveCommand, actor: actor)
                try producer.produce(KafkaProducerRecord(topic: machine.commandsTopic, key: Array(id.utf8),
                                                         value: try serde.serialize(command)))
            }
            try await producer.flush()
            try await producer.close()
            print("sent \(statementIDs.count) approval\(statementIDs.count == 1 ? "" : "s") by \(actor)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a statement and its history from the stores' changelogs.")

        @Argument(help: "The statement id.")
        var statementID: String
        @Option(help: "The application id of the statement pods.")
        var applicationID: String = "statement"
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let machine = try StatementLifecycle.machine()
            let reader = ChangelogReader(bootstrapServers: try cluster.servers())
            func changelog(_ store: String) -> String { Topology.changelogTopic(applicationID: applicationID, store: store) }
            guard let organisation = try await reader.latest(topic: changelog(machine.indexStore), key: statementID,
                                                             partitionKey: statementID) else {
                throw ValidationError("no statement \(statementID)")
            }
            let partitionKey = String(decoding: organisation, as: UTF8.self)
            guard let entity = try await reader.latest(topic: changelog(machine.entityStore), key: statementID,
                                                       partitionKey: partitionKey) else {
                throw ValidationError("statement \(statementID) is indexed but not stored yet")
            }
            let statement = try BinarySerde<Statement>().deserialize(entity)
            let history = try await reader.latest(topic: changelog(machine.historyStore), key: statementID, partitionKey: partitionKey)
                .map { try BinarySerde<[LifecycleEvent]>().deserialize($0) } ?? []
            print("statement     \(statement.id)")
            print("organisation  \(statement.organisationId)")
            print("status        \(statement.status.rawValue)")
            print("amount        \(statement.amount) \(statement.currency) (\(statement.paymentMethod.rawValue))")
            print("history")
            for event in history { print("  \(event.at)  \(event.status)  by \(event.actor)") }
        }
    }
}
