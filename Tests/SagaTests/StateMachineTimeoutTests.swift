import Flowstate
import FlowstateTesting
import Foundation
import Saga
import Testing

/// A parcel waiting at a pickup point: picked up by a person, or returned after an hour.
private struct PickupParcel: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case received, waiting, pickedUp = "picked-up", held, returned }
    var id: String
    var status: Status
    var partitionKey: String { "point-1" }
}

/// received → waiting, without waiting.
private struct Shelve: SynchronousStateWorker {
    func isApplicable(_ parcel: PickupParcel) -> Bool { parcel.status == .received }
    func processSynchronously(_ parcel: PickupParcel) throws -> PickupParcel? {
        PickupParcel(id: parcel.id, status: .waiting)
    }
}

@Suite struct StateMachineTimeoutTests {
    fileprivate func machine() throws -> StateMachine<PickupParcel> {
        var machine = StateMachine<PickupParcel>(name: "pickup", initial: .received)
        try machine.transition(from: .received, to: .waiting)
        try machine.transition(from: .waiting, to: .pickedUp, command: "pick-up")
        try machine.transition(from: .waiting, to: .held, command: "hold")
        try machine.transition(from: .held, to: .waiting, command: "release")
        try machine.transition(from: .waiting, to: .returned, after: .seconds(3_600))
        machine.addWorker(Shelve())
        return machine
    }

    fileprivate func start() throws -> (TopologyTestDriver, StateMachine<PickupParcel>) {
        let machine = try machine()
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "pickups", startTime: 0)
        try driver.inputTopic("pickup.received", key: .string, value: .json(PickupParcel.self))
            .pipeInput(key: "point-1", value: PickupParcel(id: "p1", status: .received))
        return (driver, machine)
    }

    fileprivate func command(_ name: String, _ driver: TopologyTestDriver, _ machine: StateMachine<PickupParcel>) throws {
        try driver.inputTopic(machine.commandsTopic, key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "p1", value: StateMachineCommand(entityID: "p1", name: name, actor: "clerk"))
    }

    fileprivate func status(_ driver: TopologyTestDriver, _ machine: StateMachine<PickupParcel>) throws -> PickupParcel.Status? {
        try driver.keyValueStore(machine.entityStore, key: String.self, value: PickupParcel.self).get("p1")?.status
    }

    @Test func anEntityLeftInItsStatusMovesOnceWhenItsTimeIsUp() throws {
        let (driver, machine) = try start()
        defer { driver.close() }
        #expect(try status(driver, machine) == .waiting)
        try driver.advanceWallClockTime(by: .seconds(3_599))
        #expect(try status(driver, machine) == .waiting, "not yet")
        try driver.advanceWallClockTime(by: .seconds(2))
        #expect(try status(driver, machine) == .returned)
        try driver.advanceWallClockTime(by: .seconds(7_200))
        #expect(driver.records(of: machine.topic(of: .returned)).count == 1, "once")
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get("p1")
        #expect(history?.map(\.status) == ["received", "waiting", "returned"])
        #expect(history?.last?.actor == "timeout")
        #expect(history?.last.map { $0.at >= 3_600_000 } == true, "\(String(describing: history?.last))")
    }

    @Test func anEntityThatLeftItsStatusInTimeIsNotMoved() throws {
        let (driver, machine) = try start()
        defer { driver.close() }
        try driver.advanceWallClockTime(by: .seconds(1_800))
        try command("pick-up", driver, machine)
        try driver.advanceWallClockTime(by: .seconds(7_200))
        #expect(try status(driver, machine) == .pickedUp)
        #expect(driver.records(of: machine.topic(of: .returned)).isEmpty)
    }

    @Test func reenteringTheStatusStartsItsTimeAgain() throws {
        let (driver, machine) = try start()
        defer { driver.close() }
        // Held after 50 minutes, released 30 minutes later: the hour counts from the release.
        try driver.advanceWallClockTime(by: .seconds(3_000))
        try command("hold", driver, machine)
        try driver.advanceWallClockTime(by: .seconds(1_800))
        #expect(try status(driver, machine) == .held, "a held parcel is not returned")
        try command("release", driver, machine)
        try driver.advanceWallClockTime(by: .seconds(3_000))
        #expect(try status(driver, machine) == .waiting, "the first wait's hour has passed, the second's has not")
        try driver.advanceWallClockTime(by: .seconds(700))
        #expect(try status(driver, machine) == .returned)
        #expect(driver.records(of: machine.topic(of: .returned)).count == 1)
    }

    @Test func timedTransitionsAreValidatedAndDrawn() throws {
        var machine = try machine()
        #expect(throws: SagaDefinitionError.self) { try machine.transition(from: .waiting, to: .held, after: .seconds(5)) }
        #expect(throws: SagaDefinitionError.self) { try machine.transition(from: .held, to: .returned, after: .zero) }
        #expect(machine.mermaid().contains("waiting --> returned : after 3600.0 seconds"), "\(machine.mermaid())")
    }
}
