import Flowstate
import FlowstateKafka
import Foundation
import Saga
import Testing

/// A running pod: its application and the task running it.
private struct Pod {
    let app: FlowstateApplication
    let running: Task<Void, any Error>

    init(_ topology: Topology, config: FlowstateConfig, cluster: EmbeddedCluster) {
        app = FlowstateApplication(topology: topology, config: config, embeddedCluster: cluster)
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

    /// Pins the hazard `docs/upgrades.md` describes: with the `range` assignor, the new status's
    /// topic goes to the version-2 pod only, so a task of the version-1 pod is assigned to both.
    @Test func aPodOfEachVersionShareATaskWhenVersion2AddsAStatusTopic() async throws {
        let v2 = try loanMachineV2()
        let cluster = try LoanCluster(topics: v2.topics, partitions: 2)
        let pod0 = Pod(try loanMachineV1().topology(), config: cluster.config(pod: "pod-0"), cluster: cluster.cluster)
        let pod1 = Pod(try v2.topology(), config: cluster.config(pod: "pod-1"), cluster: cluster.cluster)
        #expect(try await eventually(timeout: .seconds(60)) {
            let v1Tasks = Set(pod0.app.assignedTasks), v2Tasks = Set(pod1.app.assignedTasks)
            return !v1Tasks.isEmpty && !v1Tasks.isDisjoint(with: v2Tasks)
        })
        #expect(await pod0.stop() == nil)
        #expect(await pod1.stop() == nil)
    }
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
