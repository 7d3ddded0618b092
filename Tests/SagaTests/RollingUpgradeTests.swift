import Flowstate
import FlowstateKafka
import Foundation
import Logging
import Saga
import Testing

/// A running pod: its application and the task running it.
private struct Pod {
    let app: FlowstateApplication
    let running: Task<Void, any Error>

    init(_ topology: Topology, config: FlowstateConfig, cluster: EmbeddedCluster) {
        // FLOWSTATE_TEST_LOG=info (or debug) shows each pod's log on standard error.
        var logger = Logger(label: config.instanceID) { label in
            ProcessInfo.processInfo.environment["FLOWSTATE_TEST_LOG"] == nil
                ? SwiftLogNoOpLogHandler() as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["FLOWSTATE_TEST_LOG"] ?? "") ?? .info
        app = FlowstateApplication(topology: topology, config: config, embeddedCluster: cluster, logger: logger)
        let app = app
        running = Task { try await app.run() }
    }

    /// Stops the pod gracefully; returns its failure, if any.
    func stop() async -> FlowstateError? {
        app.triggerShutdown()
        _ = try? await running.value
        return app.failure
    }
}

/// Version 1 of the `loan` machine replaced by version 2 (an optional field added, a status
/// added between two existing ones) while loans are mid-lifecycle: every loan finishes.
@Suite(.serialized) struct RollingUpgradeTests {
    private let drafts = (1...6).map { LoanV1(id: "l\($0)", branch: $0 % 2 == 0 ? "north" : "south", status: .draft, amount: 100 * $0) }

    private func command(_ name: String, _ ids: [String], on cluster: LoanCluster) async throws {
        let commands = ids.map { StateMachineCommand(entityID: $0, name: name, actor: "officer") }
        try await cluster.publish(commands, to: "loan.commands") { $0.entityID }
    }

    /// Whether every loan in `ids` has `status` (read as version 2) on one of `apps`.
    private func all(_ ids: [(id: String, branch: String)], are status: String, on apps: [FlowstateApplication]) async -> Bool {
        for loan in ids {
            let stored = await storedValue([String: AnyCodableScalar].self, store: "loan-entities", key: loan.id,
                                           partitionKey: loan.branch, in: apps)
            guard stored?["status"] == .string(status) else { return false }
        }
        return true
    }

    /// Checks the end state: every loan approved, with the history its path implies, and the
    /// new field set exactly on loans approved by version 2's worker.
    private func expectFinished(v1Approved: Set<String>, all ids: [(id: String, branch: String)], on apps: [FlowstateApplication]) async {
        for loan in ids {
            let stored = await storedValue(LoanV2.self, store: "loan-entities", key: loan.id, partitionKey: loan.branch, in: apps)
            #expect(stored?.status == .approved, "\(loan.id)")
            let history = await storedValue([LifecycleEvent].self, store: "loan-history", key: loan.id, partitionKey: loan.branch, in: apps)
            if v1Approved.contains(loan.id) {
                #expect(stored?.approvedBy == nil, "\(loan.id) was approved by version 1")
                #expect(history?.map(\.status) == ["draft", "submitted", "approved"], "\(loan.id)")
                #expect(history?.map(\.actor) == ["external", "system", "officer"], "\(loan.id)")
            } else {
                #expect(stored?.approvedBy == "risk-desk", "\(loan.id)")
                #expect(history?.map(\.status) == ["draft", "submitted", "reviewed", "approved"], "\(loan.id)")
                #expect(history?.map(\.actor) == ["external", "system", "officer", "risk-desk"], "\(loan.id)")
            }
        }
    }

    @Test func oneInstanceRestartedAsVersion2FinishesEveryLoan() async throws {
        let v2 = try loanMachineV2()
        let cluster = try LoanCluster(topics: v2.topics, partitions: 2)  // version 2's topics first
        let config = cluster.config(pod: "pod-0")
        let ids = drafts.map { ($0.id, $0.branch) } + [("l7", "south")]

        let first = Pod(try loanMachineV1().topology(), config: config, cluster: cluster.cluster)
        try await cluster.publish(drafts, to: "loan.draft") { $0.branch }
        #expect(try await eventually { await all(Array(ids.prefix(6)), are: "submitted", on: [first.app]) })
        try await command("approve", ["l1", "l2"], on: cluster)
        #expect(try await eventually { await all(Array(ids.prefix(2)), are: "approved", on: [first.app]) })
        #expect(await first.stop() == nil)
        #expect(first.app.deadLetteredRecords == 0)

        let second = Pod(try v2.topology(), config: config, cluster: cluster.cluster)
        try await cluster.publish([LoanV2(id: "l7", branch: "south", status: .draft, amount: 700)], to: "loan.draft") { $0.branch }
        #expect(try await eventually { await all([("l7", "south")], are: "submitted", on: [second.app]) })
        try await command("review", ["l3", "l4", "l5", "l6", "l7"], on: cluster)
        #expect(try await eventually { await all(ids, are: "approved", on: [second.app]) })
        await expectFinished(v1Approved: ["l1", "l2"], all: ids, on: [second.app])
        #expect(await second.stop() == nil)
        #expect(second.app.deadLetteredRecords == 0)
        let rejections = try await cluster.records(of: "loan.rejections", partitions: 2, wait: .seconds(1))
        #expect(rejections.isEmpty, "\(rejections.compactMap(\.valueString))")
    }

    /// Members of different versions subscribe to different topics (version 2 adds a status
    /// topic), so the `range` assignor splits task *p* between them: the version-1 pod gets its
    /// old topics' partitions, the version-2 pod the new topic's. Only the member holding a task
    /// whole runs it; the other keeps its fragment idle — no task has two owners.
    @Test func aPodOfEachVersionNeverShareATaskWhenVersion2AddsAStatusTopic() async throws {
        let v2 = try loanMachineV2()
        let cluster = try LoanCluster(topics: v2.topics, partitions: 2)
        let pod0 = Pod(try loanMachineV1().topology(), config: cluster.config(pod: "pod-0"), cluster: cluster.cluster)
        let pod1 = Pod(try v2.topology(), config: cluster.config(pod: "pod-1"), cluster: cluster.cluster)
        let everyTask = Set((0..<2).map { TaskID(subtopology: 0, partition: Int32($0)) })
        #expect(try await eventually(timeout: .seconds(60)) {
            let v1Tasks = Set(pod0.app.assignedTasks), v2Tasks = Set(pod1.app.assignedTasks)
            return v1Tasks.union(v2Tasks) == everyTask && !v1Tasks.isEmpty && !v2Tasks.isEmpty
        })
        for _ in 0..<10 {  // and it stays so
            let v1Tasks = Set(pod0.app.assignedTasks), v2Tasks = Set(pod1.app.assignedTasks)
            #expect(v1Tasks.isDisjoint(with: v2Tasks), "v1 \(v1Tasks) v2 \(v2Tasks)")
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(await pod0.stop() == nil)
        #expect(await pod1.stop() == nil)
    }

    /// Two version-1 pods with loans at every step, replaced one at a time by version 2 (each
    /// new pod on its predecessor's instance id and state directory): loans arrive and are
    /// approved while both versions run, and every loan finishes, once, with the history its
    /// path implies. Run in a loop: `FLOWSTATE_ROLLING_RUNS` (default 1) runs.
    @Test func twoPodsReplacedOneAtATimeByVersion2FinishEveryLoan() async throws {
        let runs = Int(ProcessInfo.processInfo.environment["FLOWSTATE_ROLLING_RUNS"] ?? "") ?? 1
        for _ in 0..<runs { try await rollTwoPods() }
    }

    private func rollTwoPods() async throws {
        let partitions = 4
        let v2 = try loanMachineV2()
        let cluster = try LoanCluster(topics: v2.topics, partitions: partitions)
        let everyTask = Set((0..<partitions).map { TaskID(subtopology: 0, partition: Int32($0)) })
        let loans = (1...10).map { (id: "l\($0)", branch: "b\($0 % partitions)") }
        func settled(_ pods: [Pod]) async throws -> Bool {
            try await eventually(timeout: .seconds(60)) {
                let sets = pods.map { Set($0.app.assignedTasks) }
                return sets.allSatisfy { !$0.isEmpty } && sets[0].isDisjoint(with: sets[1]) && sets[0].union(sets[1]) == everyTask
            }
        }

        var pod0 = Pod(try loanMachineV1().topology(), config: cluster.config(pod: "pod-0"), cluster: cluster.cluster)
        var pod1 = Pod(try loanMachineV1().topology(), config: cluster.config(pod: "pod-1"), cluster: cluster.cluster)
        #expect(try await settled([pod0, pod1]))
        let firstDrafts = loans.prefix(8).map { LoanV1(id: $0.id, branch: $0.branch, status: .draft, amount: 100) }
        try await cluster.publish(firstDrafts, to: "loan.draft") { $0.branch }
        #expect(try await eventually { await all(Array(loans.prefix(8)), are: "submitted", on: [pod0.app, pod1.app]) })
        try await command("approve", ["l1", "l2"], on: cluster)

        // Replace pod 0: version 1 and version 2 run side by side.
        #expect(await pod0.stop() == nil)
        #expect(pod0.app.deadLetteredRecords == 0)
        pod0 = Pod(try v2.topology(), config: cluster.config(pod: "pod-0"), cluster: cluster.cluster)
        #expect(try await settled([pod0, pod1]))
        let lateDrafts = loans.suffix(2).map { LoanV2(id: $0.id, branch: $0.branch, status: .draft, amount: 200) }
        try await cluster.publish(lateDrafts, to: "loan.draft") { $0.branch }
        try await command("approve", ["l3"], on: cluster)  // both versions know `approve`
        #expect(try await eventually { await all(Array(loans.prefix(3)), are: "approved", on: [pod0.app, pod1.app]) })
        #expect(try await eventually { await all(Array(loans.suffix(2)), are: "submitted", on: [pod0.app, pod1.app]) })

        // Replace pod 1: version 2 only.
        #expect(await pod1.stop() == nil)
        #expect(pod1.app.deadLetteredRecords == 0)
        pod1 = Pod(try v2.topology(), config: cluster.config(pod: "pod-1"), cluster: cluster.cluster)
        #expect(try await settled([pod0, pod1]))
        try await command("review", loans.dropFirst(3).map(\.id), on: cluster)
        #expect(try await eventually { await all(loans, are: "approved", on: [pod0.app, pod1.app]) })
        await expectFinished(v1Approved: ["l1", "l2", "l3"], all: loans, on: [pod0.app, pod1.app])
        // Every loan entered each status, and the stores hold each transition once (the
        // histories above). Duplicates in the topics are allowed only as replays, and only
        // because this is the embedded broker: its group coordinator refuses offset commits
        // while a group rebalances (a real one accepts them until the new generation starts), so
        // the offsets mirrored for it by the pods that hand tasks over are lost, and the next
        // owner replays from the last mirror that landed (the restoration rewinds the state to
        // match, see ChangelogRestorer). A replayed status record meets a loan that has not yet
        // re-taken that step and is rejected; a replayed command takes it again. Each rejection
        // must name a transition the loan's final history holds — a replay, not a wrong step.
        let histories = Dictionary(uniqueKeysWithValues: await loans.asyncMap { loan in
            (loan.id, await storedValue([LifecycleEvent].self, store: "loan-history", key: loan.id, partitionKey: loan.branch,
                                        in: [pod0.app, pod1.app])?.map(\.status) ?? [])
        })
        for pod in [pod0, pod1] {
            #expect(await pod.stop() == nil)
            #expect(pod.app.deadLetteredRecords == 0)
        }
        for rejection in try await cluster.records(of: "loan.rejections", partitions: partitions, wait: .seconds(1)) {
            let fields = rejection.value.flatMap { try? JSONDecoder().decode([String: AnyCodableScalar].self, from: Data($0)) } ?? [:]
            guard case .string(let id)? = fields["entityID"], case .string(let received)? = fields["received"] else {
                Issue.record("unreadable rejection: \(rejection.valueString ?? "")")
                continue
            }
            let replayedStatus = received.hasPrefix("status ") ? String(received.dropFirst("status ".count)) : nil
            #expect(replayedStatus.map { histories[id, default: []].contains($0) } == true,
                    "not a replay: \(rejection.valueString ?? "") (history \(histories[id, default: []]))")
        }
        for status in ["submitted", "approved"] {
            let records = try await cluster.records(of: "loan.\(status)", partitions: partitions, wait: .seconds(1))
            #expect(Set(records.compactMap(loanID)) == Set(loans.map(\.id)), "loan.\(status)")
        }
    }

}

extension Sequence {
    /// The results of `transform` on each element, one after another.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// The `id` of a loan record (either version's JSON).
private func loanID(_ record: KafkaConsumerRecord) -> String? {
    guard let value = record.value,
          let fields = try? JSONDecoder().decode([String: AnyCodableScalar].self, from: Data(value)),
          case .string(let id)? = fields["id"] else { return nil }
    return id
}

/// A JSON scalar, to read one field of a stored value whatever its version.
enum AnyCodableScalar: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else { self = .string(try container.decode(String.self)) }
    }
}
