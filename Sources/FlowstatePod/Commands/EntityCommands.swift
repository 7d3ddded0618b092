import ArgumentParser
import Flowstate
import FlowstateKafka
import Saga

/// `<pod> command <machine> <id> <command> --actor …`: a manual step of any registered state
/// machine, sent to `<machine>.commands`.
struct EntityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command",
        abstract: "Send a command (a manual step) to a state machine's entity; the machine applies or rejects it.",
        discussion: "Rejections, with the reason, go to <machine>.rejections; `show` prints the entity and its history.")

    @Argument(help: "The state machine.")
    var machine: String
    @Argument(help: "The entity id.")
    var entityID: String
    @Argument(help: "The command.")
    var command: String
    @Option(help: "Who gives the command; recorded in the entity's history.")
    var actor: String
    @Option(help: "An argument of the command, key=value (repeatable).")
    var argument: [String] = []
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let record = try ManualAction.command(machine: machine, entityID: entityID, command: command, actor: actor,
                                              arguments: try ManualAction.arguments(argument))
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: try cluster.servers()))
        _ = try await producer.send(record)
        try await producer.close()
        print("sent \(command) for \(machine) \(entityID) by \(actor)")
    }
}

/// `<pod> submit <machine> --data '{json}'`: a new entity of any registered state machine,
/// sent to its initial status's topic keyed by its partition key (partitioned as the pods'
/// sinks partition, so its whole lifecycle stays on one partition).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a new entity to a state machine: its JSON goes to the initial status's topic.")

    @Argument(help: "The state machine.")
    var machine: String
    @Option(help: "The entity, a JSON object in the machine's entity type, in its initial status.")
    var data: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let registered = try PodCatalog.machine(named: machine)
        let (topic, key, id, value) = try registered.submission(Array(data.utf8))
        // The producer's default partitioner is the Java clients' (murmur2), as the pods' sinks use.
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: try cluster.servers()))
        _ = try await producer.send(KafkaProducerRecord(topic: topic, key: Array(key.utf8), value: value))
        try await producer.close()
        print("submitted \(machine) \(id) to \(topic)")
    }
}

/// `<pod> show <machine> <id>`: an entity of any registered state machine and its history,
/// read from the stores' changelogs (no pod needs to run).
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a state machine's entity and its history from the stores' changelogs.")

    @Argument(help: "The state machine.")
    var machine: String
    @Argument(help: "The entity id.")
    var entityID: String
    @Option(help: "The application id of the machine's pods; default: the machine's name.")
    var applicationID: String?
    @Flag(help: "Print the entity as JSON only.")
    var json = false
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let registered = try PodCatalog.machine(named: machine)
        let report = try await EntityReport.read(registered, id: entityID, applicationID: applicationID ?? registered.name,
                                                 servers: try cluster.servers())
        print(json ? report.json : report.text)
    }
}

/// An entity and its history as read from the changelogs.
struct EntityReport {
    let machine: String
    let id: String
    let status: String
    let json: String
    let history: [LifecycleEvent]

    static func read(_ machine: RegisteredMachine, id: String, applicationID: String, servers: [String]) async throws -> EntityReport {
        let reader = ChangelogReader(bootstrapServers: servers)
        func changelog(_ store: String) -> String { Topology.changelogTopic(applicationID: applicationID, store: store) }
        guard let partitionKey = try await reader.latest(topic: changelog(machine.indexStore), key: id, partitionKey: id) else {
            throw ValidationError("no \(machine.name) \(id)")
        }
        let key = String(decoding: partitionKey, as: UTF8.self)
        guard let stored = try await reader.latest(topic: changelog(machine.entityStore), key: id, partitionKey: key) else {
            throw ValidationError("\(machine.name) \(id) is indexed but not stored yet")
        }
        let (status, json) = try machine.describeStored(stored)
        let history = try await reader.latest(topic: changelog(machine.historyStore), key: id, partitionKey: key)
            .map { try BinarySerde<[LifecycleEvent]>().deserialize($0) } ?? []
        return EntityReport(machine: machine.name, id: id, status: status, json: json, history: history)
    }

    var text: String {
        var lines = ["\(machine) \(id)", "status   \(status)", "entity   \(json)", "history"]
        for event in history { lines.append("  \(event.at)  \(event.status)  by \(event.actor)") }
        return lines.joined(separator: "\n")
    }
}
