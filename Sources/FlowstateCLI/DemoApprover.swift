import Flowstate
import FlowstateKafka
import Saga
import StatementLifecycle

/// The demo's approvers: people who approve every statement that waits for them, by sending
/// `approve` commands to `statement.commands` keyed by statement id (what
/// `flowstate statement approve` does). Statements within the auto-approval limit are left to
/// the auto-approval worker.
final class DemoApprover: Sendable {
    static let people = ["alice", "bahar", "chen", "dmitri"]

    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let idPrefix: String
    let autoApprovalLimit: Int?
    private let machine: StateMachine<Statement>

    init(servers: [String], idPrefix: String, autoApprovalLimit: Int?) throws {
        machine = try StatementLifecycle.machine()
        self.idPrefix = idPrefix
        self.autoApprovalLimit = autoApprovalLimit
        var config = KafkaConsumerConfig(bootstrapServers: servers, groupID: "flowstate-demo-approvers")
        config.clientID = "flowstate-demo-approvers"
        config.additionalProperties["fetch.wait.max.ms"] = "10"
        consumer = try KafkaConsumer(config: config)
        try consumer.assign(try DemoTopics.ends(of: [machine.topic(of: .waitingForApproval)], servers: servers, consumer: consumer))
        producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: servers))
    }

    /// Approves until cancelled: each time a statement starts waiting (the embedded broker shows
    /// records of transactions that never committed, whose statements start waiting again).
    func run() async throws {
        let statementJSON = JSONSerde<Statement>(), commandJSON = JSONSerde<StateMachineCommand>()
        var approved: Set<String> = []
        while !Task.isCancelled {
            let records = try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100))
            var sent = false
            for record in records {
                guard let value = record.value, let statement = try? statementJSON.deserialize(value),
                      statement.id.hasPrefix(idPrefix), statement.amount > (autoApprovalLimit ?? -1),
                      approved.insert("\(statement.id)@\(statement.updatedAt)").inserted else { continue }
                let person = Self.people[approved.count % Self.people.count]
                let command = StateMachineCommand(entityID: statement.id, name: StatementLifecycle.approveCommand, actor: person)
                try producer.produce(KafkaProducerRecord(topic: machine.commandsTopic, key: Array(statement.id.utf8),
                                                         value: try commandJSON.serialize(command)))
                sent = true
            }
            if sent { try await producer.flush() }
        }
    }

    func close() async {
        try? await producer.close()
        try? await consumer.close()
    }
}
