import Flowstate
import FlowstateKafka
import Foundation
import Saga

/// A loan as version 1 of the `loan` machine knows it: draft → submitted → approved.
struct LoanV1: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case draft, submitted, approved }
    var id: String
    var branch: String
    var status: Status
    var amount: Int
    var partitionKey: String { branch }
}

/// Version 2: a new optional field (`approvedBy`) and a new status between two existing ones
/// (draft → submitted → reviewed → approved).
struct LoanV2: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case draft, submitted, reviewed, approved }
    var id: String
    var branch: String
    var status: Status
    var amount: Int
    var approvedBy: String?
    var partitionKey: String { branch }
}

/// draft → submitted at once (version 1).
struct SubmitLoanV1: SynchronousStateWorker {
    func isApplicable(_ loan: LoanV1) -> Bool { loan.status == .draft }
    func processSynchronously(_ loan: LoanV1) throws -> LoanV1? {
        var submitted = loan
        submitted.status = .submitted
        return submitted
    }
}

/// draft → submitted at once (version 2).
struct SubmitLoanV2: SynchronousStateWorker {
    func isApplicable(_ loan: LoanV2) -> Bool { loan.status == .draft }
    func processSynchronously(_ loan: LoanV2) throws -> LoanV2? {
        var submitted = loan
        submitted.status = .submitted
        return submitted
    }
}

/// reviewed → approved by the risk desk, which signs the new field (version 2).
struct ApproveReviewedLoan: SynchronousStateWorker {
    var actor: String { "risk-desk" }
    func isApplicable(_ loan: LoanV2) -> Bool { loan.status == .reviewed }
    func processSynchronously(_ loan: LoanV2) throws -> LoanV2? {
        var approved = loan
        approved.status = .approved
        approved.approvedBy = "risk-desk"
        return approved
    }
}

/// Version 1: an officer's `approve` command approves a submitted loan.
func loanMachineV1() throws -> StateMachine<LoanV1> {
    var machine = StateMachine<LoanV1>(name: "loan", initial: .draft)
    try machine.transition(from: .draft, to: .submitted)
    try machine.transition(from: .submitted, to: .approved, command: "approve")
    machine.addWorker(SubmitLoanV1())
    return machine
}

/// Version 2: an officer's `review` command, then the risk desk approves. `approve` on a
/// submitted loan stays, for commands sent to version 1 and not yet applied.
func loanMachineV2() throws -> StateMachine<LoanV2> {
    var machine = StateMachine<LoanV2>(name: "loan", initial: .draft)
    try machine.transition(from: .draft, to: .submitted)
    try machine.transition(from: .submitted, to: .reviewed, command: "review")
    try machine.transition(from: .reviewed, to: .approved)
    try machine.transition(from: .submitted, to: .approved, command: "approve")
    machine.addWorker(SubmitLoanV2())
    machine.addWorker(ApproveReviewedLoan())
    return machine
}

/// An embedded cluster holding the `loan` machine's topics, with a producer and store reads.
final class LoanCluster: Sendable {
    let cluster: EmbeddedCluster
    let stateDirectory: String
    let applicationID = "loans-\(UUID().uuidString.prefix(8))"

    init(topics: [String], partitions: Int) throws {
        cluster = try EmbeddedCluster()
        for topic in topics { try cluster.createTopic(topic, partitions: partitions) }
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("flowstate-upgrade-\(UUID().uuidString)").path
    }

    /// A pod's configuration: the one application id, its own instance id and state directory.
    func config(pod: String) -> FlowstateConfig {
        var config = FlowstateConfig(applicationID: applicationID, bootstrapServers: [cluster.bootstrapServers])
        config.stateDirectory = "\(stateDirectory)/\(pod)"
        config.instanceID = pod
        config.sessionTimeout = .seconds(6)
        return config
    }

    /// Publishes JSON values keyed by `key`.
    func publish<Value: Codable>(_ values: [Value], to topic: String, key: (Value) -> String) async throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [cluster.bootstrapServers]))
        for value in values {
            try producer.produce(KafkaProducerRecord(topic: topic, key: Array(key(value).utf8),
                                                     value: try JSONSerde<Value>().serialize(value)))
        }
        try await producer.flush()
        try await producer.close()
    }

    /// Every record of `topic` (read_committed) within `wait`.
    func records(of topic: String, partitions: Int, wait: Duration) async throws -> [KafkaConsumerRecord] {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: [cluster.bootstrapServers],
                                                                     groupID: "read-\(UUID())"))
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
            (KafkaTopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning)
        }))
        var records: [KafkaConsumerRecord] = []
        let deadline = ContinuousClock.now + wait
        while ContinuousClock.now < deadline {
            records += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
        }
        try await consumer.close()
        return records
    }

    deinit {
        cluster.shutdown()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}

/// A value of `store` as JSON-decoded `Value`, from whichever of `apps` hosts it (`nil` when
/// none does yet, e.g. during a rebalance, or the key is absent).
func storedValue<Value: Decodable>(_ type: Value.Type, store: String, key: String, partitionKey: String,
                                   in apps: [FlowstateApplication]) async -> Value? {
    for app in apps {
        guard case .found(let json)? = try? await app.queryStore(name: store, key: key, partitionKey: partitionKey) else { continue }
        return try? JSONDecoder().decode(Value.self, from: Data(json))
    }
    return nil
}

/// Polls `condition` every 200 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(90), _ condition: () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(200))
    }
    return await condition()
}
