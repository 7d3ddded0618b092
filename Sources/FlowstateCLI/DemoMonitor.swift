import Flowstate
import FlowstateKafka
import Foundation
import PlaceOrder
import Saga
import StatementLifecycle
import Synchronization

/// Follows what the applications write — the statement status topics, the saga events,
/// replies, rejections and dead letters — and counts it for the progress line and the summary.
///
/// Only ids with the run's prefix count, so a run on a shared cluster ignores earlier runs.
final class DemoMonitor: Sendable {
    /// What the topics showed so far.
    struct Counts: Sendable {
        /// Records on statement status topics after the initial one: one per transition.
        var statementTransitions = 0
        /// History entries published on `saga.events.place-order`.
        var sagaEvents = 0
        var closedStatements: Set<String> = []
        var endedSagas: Set<String> = []
        /// Statements approved by an `approve` command, and by the auto-approval worker.
        var approvedByPerson: Set<String> = []
        var approvedAutomatically: Set<String> = []
        /// Immediate retries the worker reported in its replies.
        var immediateRetries = 0
        var statementRejections = 0
        var sagaRejections = 0
        var deadLetteredSagas: Set<String> = []

        var transitions: Int { statementTransitions + sagaEvents }
    }

    let consumer: KafkaConsumer
    let idPrefix: String
    private let machine: StateMachine<Statement>
    private let definition: SagaDefinition
    private let state = Mutex(Counts())

    /// Assigns every followed topic from its current end (on a fresh cluster: its start).
    init(servers: [String], idPrefix: String) throws {
        machine = try StatementLifecycle.machine()
        definition = try PlaceOrder.definition()
        self.idPrefix = idPrefix
        var config = KafkaConsumerConfig(bootstrapServers: servers, groupID: "flowstate-demo-monitor")
        config.clientID = "flowstate-demo-monitor"
        config.additionalProperties["fetch.wait.max.ms"] = "10"
        consumer = try KafkaConsumer(config: config)
        let topics = machine.statusTopics + [machine.rejectionsTopic, definition.eventsTopic, definition.replyTopic,
                                             definition.deadLetterTopic, definition.rejectionsTopic]
        try consumer.assign(try DemoTopics.ends(of: topics, servers: servers, consumer: consumer))
    }

    var counts: Counts { state.withLock { $0 } }

    /// Polls until cancelled.
    func run() async throws {
        let statementJSON = JSONSerde<Statement>(), eventJSON = JSONSerde<SagaEvent>(), replyJSON = JSONSerde<SagaReply>()
        let initialTopic = machine.topic(of: machine.initialStatus)
        let statusTopics = Set(machine.statusTopics)
        let approvedTopic = machine.topic(of: .approved), closedTopic = machine.topic(of: .closed)
        while !Task.isCancelled {
            let records = try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100))
            guard !records.isEmpty else { continue }
            var delta = Counts()
            for record in records {
                guard let value = record.value else { continue }
                let topic = record.topic
                if statusTopics.contains(topic) {
                    guard topic != initialTopic, let statement = try? statementJSON.deserialize(value),
                          statement.id.hasPrefix(idPrefix) else { continue }
                    delta.statementTransitions += 1
                    if topic == closedTopic { delta.closedStatements.insert(statement.id) }
                    if topic == approvedTopic {
                        if statement.updatedBy == StatementWorkers.AutoApproval(limit: 0).actor {
                            delta.approvedAutomatically.insert(statement.id)
                        } else {
                            delta.approvedByPerson.insert(statement.id)
                        }
                    }
                } else if topic == definition.eventsTopic {
                    guard let event = try? eventJSON.deserialize(value), event.transactionID.hasPrefix(idPrefix) else { continue }
                    delta.sagaEvents += 1
                    if event.status.isTerminal { delta.endedSagas.insert(event.transactionID) }
                } else if topic == definition.replyTopic {
                    guard let reply = try? replyJSON.deserialize(value), reply.transactionID.hasPrefix(idPrefix) else { continue }
                    delta.immediateRetries += reply.immediateRetries
                } else if record.keyString?.hasPrefix(idPrefix) ?? false {
                    switch topic {
                    case machine.rejectionsTopic: delta.statementRejections += 1
                    case definition.rejectionsTopic: delta.sagaRejections += 1
                    case definition.deadLetterTopic: delta.deadLetteredSagas.insert(record.keyString ?? "")
                    default: break
                    }
                }
            }
            state.withLock { counts in
                counts.statementTransitions += delta.statementTransitions
                counts.sagaEvents += delta.sagaEvents
                counts.closedStatements.formUnion(delta.closedStatements)
                counts.endedSagas.formUnion(delta.endedSagas)
                counts.approvedByPerson.formUnion(delta.approvedByPerson)
                counts.approvedAutomatically.formUnion(delta.approvedAutomatically)
                counts.immediateRetries += delta.immediateRetries
                counts.statementRejections += delta.statementRejections
                counts.sagaRejections += delta.sagaRejections
                counts.deadLetteredSagas.formUnion(delta.deadLetteredSagas)
            }
        }
    }

    func close() { try? consumer.close() }
}

/// Offsets of topics, for consumers that read what a run adds.
enum DemoTopics {
    /// The end of every partition of `topics` (where a new run's records will start).
    static func ends(of topics: [String], servers: [String], consumer: KafkaConsumer) throws -> [KafkaTopicPartition: KafkaOffset] {
        var offsets: [KafkaTopicPartition: KafkaOffset] = [:]
        for (topic, partitions) in try partitionCounts(of: topics, servers: servers) {
            for partition in 0..<partitions {
                let topicPartition = KafkaTopicPartition(topic: topic, partition: Int32(partition))
                offsets[topicPartition] = KafkaOffset(try consumer.watermarks(of: topicPartition).high)
            }
        }
        return offsets
    }

    static func partitionCounts(of topics: [String], servers: [String]) throws -> [String: Int] {
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: servers))
        let described: [KafkaTopicDescription] = try admin.describeTopics(topics)
        return Dictionary(uniqueKeysWithValues: described.map { ($0.name, $0.partitions.count) })
    }
}
