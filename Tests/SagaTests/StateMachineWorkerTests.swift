import Flowstate
import FlowstateTesting
import Foundation
import Saga
import Testing

/// A parcel going through a three-status machine.
private struct Parcel: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case received, packed, shipped }
    var id: String
    var status: Status
    var partitionKey: String { "depot" }
}

/// received → packed, without waiting.
private struct Pack: SynchronousStateWorker {
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .received }
    func processSynchronously(_ parcel: Parcel) throws -> Parcel? {
        if parcel.id == "broken" { throw SagaDefinitionError("cannot pack \(parcel.id)") }
        if parcel.id == "later" { return nil }
        return Parcel(id: parcel.id, status: .packed)
    }
}

/// packed → shipped, after waiting for the carrier (a real suspension).
private struct Ship: StateWorker {
    var actor: String { "carrier" }
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .packed }
    func process(_ parcel: Parcel) async throws -> Parcel? {
        try await Task.sleep(for: .milliseconds(5))
        return Parcel(id: parcel.id, status: .shipped)
    }
}

@Suite struct StateMachineWorkerTests {
    fileprivate func machine() throws -> StateMachine<Parcel> {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        try machine.transition(from: .received, to: .packed)
        try machine.transition(from: .packed, to: .shipped)
        machine.addWorker(Pack())
        machine.addWorker(Ship())
        return machine
    }

    @Test func synchronousAndSuspendingWorkersBothMoveTheEntity() throws {
        let machine = try machine()
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        let stored = try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")
        #expect(stored?.status == .shipped)
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get("p1")
        #expect(history?.map(\.status) == ["received", "packed", "shipped"])
        #expect(history?.map(\.actor) == ["external", "system", "carrier"])
    }

    @Test func aSynchronousWorkersErrorChangesNothing() throws {
        let machine = try machine()
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "broken", status: .received))
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("broken") == nil)
        #expect(try driver.outputTopic("parcel.packed", key: .string, value: .bytes).readRecordsToList().isEmpty)
    }

    @Test func aNewEntityNoWorkerMovesIsStoredWithItsFirstEvent() throws {
        let machine = try machine()
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels", startTime: 5_000)
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "later", status: .received))
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("later")
                == Parcel(id: "later", status: .received))
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get("later")
        #expect(history == [LifecycleEvent(status: "received", at: 5_000, actor: "external")])
    }
}

/// packed → shipped through a flaky carrier: fails its first `failures` tries of each parcel,
/// noting the idempotency key and attempt of every try.
private final class FlakyCarrier: StateWorker, @unchecked Sendable {
    let failures: Int
    private let lock = NSLock()
    private var tries: [(key: String?, attempt: Int)] = []
    init(failures: Int) { self.failures = failures }

    var retry: ImmediateRetryPolicy { ImmediateRetryPolicy(maxAttempts: 3, backoff: .milliseconds(1)) }
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .packed }
    func process(_ parcel: Parcel) async throws -> Parcel? {
        let attempt = StateWorkerCall.attempt
        lock.withLock { tries.append((StateWorkerCall.idempotencyKey, attempt)) }
        if attempt <= failures { throw SagaDefinitionError("carrier busy (try \(attempt))") }
        return Parcel(id: parcel.id, status: .shipped)
    }
    var seen: [(key: String?, attempt: Int)] { lock.withLock { tries } }
}

@Suite struct StateWorkerRetryTests {
    fileprivate func machine(_ carrier: FlakyCarrier) throws -> StateMachine<Parcel> {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        try machine.transition(from: .received, to: .packed)
        try machine.transition(from: .packed, to: .shipped)
        machine.addWorker(Pack())
        machine.addWorker(carrier)
        return machine
    }

    @Test func aFailingWorkerIsRetriedWithTheSameIdempotencyKey() throws {
        let carrier = FlakyCarrier(failures: 2)
        let machine = try machine(carrier)
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status == .shipped)
        #expect(carrier.seen.map(\.attempt) == [1, 2, 3])
        #expect(Set(carrier.seen.map(\.key)) == ["parcel/p1/packed/2"], "one key for the transition: \(carrier.seen.map(\.key))")
        #expect(driver.deadLetters.isEmpty)
    }

    @Test func aWorkerThatKeepsFailingDeadLettersItsRecordAndLeavesTheEntity() throws {
        let carrier = FlakyCarrier(failures: 5)
        let machine = try machine(carrier)
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status == .packed)
        #expect(carrier.seen.count == 3, "three tries: \(carrier.seen.count)")
        let reason = driver.deadLetters.first?.reason ?? ""
        #expect(driver.deadLetters.count == 1)
        #expect(reason.contains("failed 3 time(s)") && reason.contains("carrier busy (try 3)"), "\(reason)")
    }
}
