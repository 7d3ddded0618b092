import Flowstate
import FlowstateKafka
import Foundation
import Logging
import Metrics
import PlaceOrder
import Saga
import StatementLifecycle

/// Where the demo runs: an embedded cluster in this process (the default), or a given one.
final class DemoCluster: Sendable {
    let bootstrapServers: String
    let embedded: EmbeddedCluster?

    /// Starts an embedded cluster, or uses `bootstrapServers`.
    init(bootstrapServers: String?) throws {
        if let bootstrapServers {
            self.bootstrapServers = bootstrapServers
            embedded = nil
        } else {
            let cluster = try EmbeddedCluster(brokers: 1)
            self.bootstrapServers = cluster.bootstrapServers
            embedded = cluster
        }
    }

    var servers: [String] { bootstrapServers.split(separator: ",").map(String.init) }

    /// Creates `topics` with `partitions` each (existing ones must have that count).
    func createTopics(_ topics: [String], partitions: Int) async throws {
        if let embedded {
            for topic in topics { try embedded.createTopic(topic, partitions: partitions) }
            return
        }
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: servers))
        let results = try await admin.createTopics(topics.map { KafkaNewTopic(name: $0, partitions: partitions) })
        for (topic, error) in results.sorted(by: { $0.key < $1.key }) {
            if let error, error.code != .topicAlreadyExists {
                throw DemoFailure("cannot create topic \(topic): \(error.message)")
            }
        }
        for description in try await admin.describeTopics(topics) where description.partitions.count != partitions {
            throw DemoFailure("--partitions: topic \(description.name) already exists with \(description.partitions.count) "
                                  + "partitions, not \(partitions)")
        }
    }

    func shutdown() { embedded?.shutdown() }
}

/// The demo's Flowstate applications, all in this process: the statement lifecycle, the
/// place-order orchestrator, and one application per listener of the place-order worker.
final class DemoApplications: Sendable {
    let statement: FlowstateApplication
    let orchestrator: FlowstateApplication
    let workers: [FlowstateApplication]
    /// The application ids, in the order of ``all``.
    let applicationIDs: [String]
    /// The `flowstate_status_entities` counts the statement and saga tasks keep.
    let statementStatuses: StatusCounts
    let sagaStatuses: StatusCounts
    /// How often the tasks recount statuses.
    static let statusCountInterval: Duration = .seconds(1)

    var all: [FlowstateApplication] { [statement, orchestrator] + workers }

    init(cluster: DemoCluster, stateDirectory: String, autoApprovalLimit: Int?, stepLatency: Duration = .zero, logger: Logger) throws {
        func config(_ applicationID: String, threads: Int = 1) -> FlowstateConfig {
            var config = FlowstateConfig(applicationID: applicationID, bootstrapServers: cluster.servers)
            config.stateDirectory = stateDirectory
            config.instanceID = "demo"
            config.threads = threads
            config.sessionTimeout = .seconds(6)
            return config
        }
        statementStatuses = StatusCounts(machine: "statement")
        sagaStatuses = StatusCounts(machine: PlaceOrder.sagaName)
        var machine = try StatementLifecycle.machine(.init(autoApprovalLimit: autoApprovalLimit, stepLatency: stepLatency))
        machine.statusCountInterval = Self.statusCountInterval
        statement = FlowstateApplication(topology: try machine.topology(statusCounts: statementStatuses),
                                         config: config("statement"), embeddedCluster: cluster.embedded, logger: logger)
        var orchestrator = try PlaceOrder.orchestrator()
        orchestrator.statusCountInterval = Self.statusCountInterval
        self.orchestrator = FlowstateApplication(topology: try orchestrator.topology(statusCounts: sagaStatuses),
                                                 config: config(PlaceOrder.sagaName), embeddedCluster: cluster.embedded,
                                                 logger: logger)
        var sagaOptions = PlaceOrder.Options()
        sagaOptions.stepLatency = stepLatency
        let listeners = try PlaceOrder.worker(sagaOptions).listeners()
        workers = listeners.map { listener in
            FlowstateApplication(topology: listener.topology, config: config(listener.applicationID, threads: listener.threads),
                                 embeddedCluster: cluster.embedded, logger: logger)
        }
        applicationIDs = ["statement", PlaceOrder.sagaName] + listeners.map(\.applicationID)
    }

    /// Every topic the applications read or write, except their internal ones.
    static var topics: [String] {
        get throws {
            let machine = try StatementLifecycle.machine()
            let worker = try PlaceOrder.worker()
            return Array(Set(machine.topics + (try PlaceOrder.orchestrator().topics) + (try worker.listeners().flatMap(\.topics))
                             + worker.replyTopics)).sorted()
        }
    }

    /// Runs every application until ``stop()``; the task fails with the first application's error.
    func start() -> Task<Void, any Error> {
        let apps = all
        return Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for app in apps { group.addTask { try await app.run() } }
                try await group.waitForAll()
            }
        }
    }

    /// Waits until every application has its tasks and is ready; returns whether it happened in time.
    func waitUntilReady(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if failure != nil { return false }
            if all.allSatisfy({ $0.runtimeStatus.isReady && !$0.assignedTasks.isEmpty }) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The first application failure, naming the application.
    var failure: String? {
        for (app, id) in zip(all, applicationIDs) { if let failure = app.failure { return "\(id) failed: \(failure.message)" } }
        return nil
    }

    /// Records the applications sent to their dead-letter topics.
    var deadLetteredRecords: Int { all.map(\.deadLetteredRecords).reduce(0, +) }

    /// Asks every application to commit and stop.
    func stop() { all.forEach { $0.triggerShutdown() } }
}
