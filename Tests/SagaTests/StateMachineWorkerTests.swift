import Flowstate
import FlowstateTesting
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
