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

/// packed → shipped through a flaky carrier: fails its first `failures` tries of each parcel
/// (with `kind`, or a plain error), noting the idempotency key and attempt of every try.
private final class FlakyCarrier: StateWorker, @unchecked Sendable {
    let failures: Int
    let kind: StateWorkerError.Kind?
    let deferredRetry = DeferredRetryPolicy(maxAttempts: 3, initialBackoff: .seconds(2))
    private let lock = NSLock()
    private var tries: [(key: String?, attempt: Int)] = []
    init(failures: Int, kind: StateWorkerError.Kind? = nil) {
        self.failures = failures
        self.kind = kind
    }

    var retry: ImmediateRetryPolicy { ImmediateRetryPolicy(maxAttempts: 3, backoff: .milliseconds(1)) }
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .packed }
    func process(_ parcel: Parcel) async throws -> Parcel? {
        let attempt = StateWorkerCall.attempt
        lock.withLock { tries.append((StateWorkerCall.idempotencyKey, attempt)) }
        if attempt <= failures {
            let message = "carrier busy (try \(attempt))"
            switch kind {
            case .retryable: throw StateWorkerError.retryable(message)
            case .immediatelyRetryable: throw StateWorkerError.immediatelyRetryable(message)
            case .nonRetryable: throw StateWorkerError.nonRetryable(message)
            case nil: throw SagaDefinitionError(message)
            }
        }
        return Parcel(id: parcel.id, status: .shipped)
    }
    var seen: [(key: String?, attempt: Int)] { lock.withLock { tries } }
}

@Suite struct StateWorkerRetryTests {
    /// received → packed (Pack), packed → shipped (the carrier, or a person's `deliver`).
    fileprivate func start(_ carrier: FlakyCarrier) throws -> (TopologyTestDriver, StateMachine<Parcel>) {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        try machine.transition(from: .received, to: .packed)
        try machine.transition(from: .packed, to: .shipped)
        try machine.transition(from: .packed, to: .shipped, command: "deliver")
        machine.addWorker(Pack())
        machine.addWorker(carrier)
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        return (driver, machine)
    }

    fileprivate func status(_ driver: TopologyTestDriver, _ machine: StateMachine<Parcel>) throws -> Parcel.Status? {
        try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status
    }

    @Test func aFailingWorkerIsRetriedAtOnceWithTheSameIdempotencyKey() throws {
        let carrier = FlakyCarrier(failures: 2)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        #expect(try status(driver, machine) == .shipped)
        #expect(carrier.seen.map(\.attempt) == [1, 2, 3])
        #expect(Set(carrier.seen.map(\.key)) == ["parcel/p1/packed/2"], "one key for the transition: \(carrier.seen.map(\.key))")
        #expect(driver.deadLetters.isEmpty)
    }

    @Test func immediateTriesSpentTheStepIsRetriedLaterByADurableTimerWhileTheEntityWaitsInItsStatus() throws {
        // Three immediate tries fail; the first deferred attempt (2 s later) fails once more and
        // succeeds on its second immediate try.
        let carrier = FlakyCarrier(failures: 4)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        #expect(try status(driver, machine) == .packed)
        #expect(carrier.seen.count == 3)
        #expect(driver.deadLetters.isEmpty, "\(driver.deadLetters.map(\.reason))")
        try driver.advanceWallClockTime(by: .milliseconds(1_500))
        #expect(carrier.seen.count == 3, "not due yet")
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(try status(driver, machine) == .shipped)
        #expect(carrier.seen.map(\.attempt) == [1, 2, 3, 4, 5])
        #expect(Set(carrier.seen.map(\.key)) == ["parcel/p1/packed/2"])
        #expect(driver.records(of: machine.workerRetriesTopic).count == 1)
        #expect(driver.deadLetters.isEmpty)
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get("p1")
        #expect(history?.map(\.status) == ["received", "packed", "shipped"], "a retry adds no history entry")
    }

    @Test func aRetryableFailureSkipsImmediateTriesAndWaitsForTheTimer() throws {
        let carrier = FlakyCarrier(failures: 1, kind: .retryable)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        #expect(carrier.seen.count == 1)
        #expect(try status(driver, machine) == .packed)
        try driver.advanceWallClockTime(by: .seconds(3))
        #expect(try status(driver, machine) == .shipped)
        #expect(carrier.seen.map(\.attempt) == [1, 2])
    }

    @Test func aNonRetryableFailureDeadLettersAtOnceWithTheReason() throws {
        let carrier = FlakyCarrier(failures: 1, kind: .nonRetryable)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        #expect(carrier.seen.count == 1)
        #expect(try status(driver, machine) == .packed)
        let reason = driver.deadLetters.first?.reason ?? ""
        #expect(driver.deadLetters.count == 1)
        #expect(reason.contains("failed 1 time(s)") && reason.contains("carrier busy (try 1)"), "\(reason)")
        try driver.advanceWallClockTime(by: .seconds(10))
        #expect(carrier.seen.count == 1, "no retry after a non-retryable failure")
    }

    @Test func aWorkerThatKeepsFailingDeadLettersItsRecordWhenDeferredRetriesAreSpent() throws {
        // Three deferred attempts (the first one included) of three immediate tries each.
        let carrier = FlakyCarrier(failures: 100)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        for _ in 0..<10 { try driver.advanceWallClockTime(by: .seconds(2)) }
        #expect(try status(driver, machine) == .packed)
        #expect(carrier.seen.count == 9, "three rounds of three tries: \(carrier.seen.map(\.attempt))")
        let reason = driver.deadLetters.first?.reason ?? ""
        #expect(driver.deadLetters.count == 1)
        #expect(reason.contains("failed 9 time(s)") && reason.contains("carrier busy (try 9)")
                && reason.contains("3 deferred attempt(s)"), "\(reason)")
    }

    @Test func aRetryWhoseEntityMovedOnMeanwhileIsDropped() throws {
        let carrier = FlakyCarrier(failures: 1, kind: .retryable)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        // A person delivers the parcel while its carrier step waits for the retry; the retry, due
        // later, finds the parcel shipped and does not run.
        try driver.inputTopic(machine.commandsTopic, key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "p1", value: StateMachineCommand(entityID: "p1", name: "deliver", actor: "clerk"))
        #expect(try status(driver, machine) == .shipped)
        try driver.advanceWallClockTime(by: .seconds(5))
        #expect(carrier.seen.count == 1, "the stale retry ran: \(carrier.seen.map(\.attempt))")
        #expect(driver.records(of: machine.workerRetriesTopic).isEmpty)
        #expect(driver.deadLetters.isEmpty)
    }

    @Test func aStatusNamedLikeOneOfTheMachinesOwnTopicsIsRejected() throws {
        enum Odd: String, StateMachineStatus { case open, rejections }
        struct Ticket: StateMachineEntity { var id: String; var status: Odd; var partitionKey: String { id } }
        var machine = StateMachine<Ticket>(name: "ticket", initial: .open)
        try machine.transition(from: .open, to: .rejections)
        #expect(throws: SagaDefinitionError.self) { try machine.validate() }
    }
}

/// packed → shipped through a carrier that refuses the first `refusals` tries of all (as
/// non-retryable), then ships.
private final class RefusingCarrier: StateWorker, @unchecked Sendable {
    let refusals: Int
    private let lock = NSLock()
    private var tries: [(key: String?, attempt: Int)] = []
    init(refusals: Int) { self.refusals = refusals }

    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .packed }
    func process(_ parcel: Parcel) async throws -> Parcel? {
        let count = lock.withLock {
            tries.append((StateWorkerCall.idempotencyKey, StateWorkerCall.attempt))
            return tries.count
        }
        if count <= refusals { throw StateWorkerError.nonRetryable("carrier refuses (try \(count))") }
        return Parcel(id: parcel.id, status: .shipped)
    }
    var seen: [(key: String?, attempt: Int)] { lock.withLock { tries } }
}

@Suite struct StateMachineRedriveTests {
    fileprivate func start(_ carrier: RefusingCarrier) throws -> (TopologyTestDriver, StateMachine<Parcel>) {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        try machine.transition(from: .received, to: .packed)
        try machine.transition(from: .packed, to: .shipped)
        machine.addWorker(Pack())
        machine.addWorker(carrier)
        let driver = try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels")
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        return (driver, machine)
    }

    fileprivate func redrive(_ driver: TopologyTestDriver, _ machine: StateMachine<Parcel>, actor: String) throws {
        try driver.inputTopic(machine.commandsTopic, key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "p1", value: StateMachineCommand(entityID: "p1", name: StateMachine<Parcel>.redriveCommand, actor: actor))
    }

    @Test func aReDriveRunsTheFailedStepAgainWithItsIdempotencyKeyAndNamesWhoAsked() throws {
        let carrier = RefusingCarrier(refusals: 1)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        #expect(driver.deadLetters.count == 1, "the refused step's record is dead-lettered")
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status == .packed)
        try redrive(driver, machine, actor: "ops-dana")
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status == .shipped)
        #expect(carrier.seen.map(\.attempt) == [1, 1], "a re-drive starts a fresh round of tries")
        #expect(Set(carrier.seen.map(\.key)) == ["parcel/p1/packed/2"], "the same key as the failed try: \(carrier.seen.map(\.key))")
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).get("p1")
        #expect(history?.map(\.status) == ["received", "packed", "packed", "shipped"])
        #expect(history?.map(\.actor) == ["external", "system", "ops-dana", "system"])
        #expect(driver.records(of: machine.topic(of: .packed)).count == 1, "a re-drive is no transition: nothing re-emitted")
    }

    @Test func reDrivingAnEntityNoWorkerHandlesIsRejectedWithTheReason() throws {
        let carrier = RefusingCarrier(refusals: 0)
        let (driver, machine) = try start(carrier)
        defer { driver.close() }
        try redrive(driver, machine, actor: "ops-dana")
        let rejection = try driver.outputTopic(machine.rejectionsTopic, key: .string, value: .json(StateMachineRejection.self))
            .readRecordsToList().last?.value
        #expect(rejection?.reason == "nothing to re-drive: parcel p1 is shipped, which no worker handles", "\(String(describing: rejection))")
        #expect(carrier.seen.count == 1)
    }

    @Test func theReDriveCommandNameIsReserved() throws {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        #expect(throws: SagaDefinitionError.self) {
            try machine.transition(from: .received, to: .packed, command: StateMachine<Parcel>.redriveCommand)
        }
    }
}
