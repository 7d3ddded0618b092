import Flowstate
import FlowstateTesting
import Saga
import Testing
import Tracing

/// A parcel: received → packed (a synchronous worker) → shipped (a suspending one) → delivered
/// (a command).
private struct Parcel: StateMachineEntity, Equatable {
    enum Status: String, StateMachineStatus { case received, packed, shipped, delivered }
    var id: String
    var status: Status
    var partitionKey: String { "depot" }
}

private struct Pack: SynchronousStateWorker {
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .received }
    func processSynchronously(_ parcel: Parcel) throws -> Parcel? { Parcel(id: parcel.id, status: .packed) }
}

private struct Ship: StateWorker {
    func isApplicable(_ parcel: Parcel) -> Bool { parcel.status == .packed }
    func process(_ parcel: Parcel) async throws -> Parcel? { Parcel(id: parcel.id, status: .shipped) }
}

@Suite struct StateMachineTraceTests {
    private func driver(_ tracer: any Tracer) throws -> (TopologyTestDriver, StateMachine<Parcel>) {
        var machine = StateMachine<Parcel>(name: "parcel", initial: .received)
        try machine.transition(from: .received, to: .packed)
        try machine.transition(from: .packed, to: .shipped)
        try machine.transition(from: .shipped, to: .delivered, command: "deliver")
        machine.addWorker(Pack())
        machine.addWorker(Ship())
        machine.tracer = tracer
        return (try TopologyTestDriver(topology: try machine.topology(), applicationID: "parcels"), machine)
    }

    @Test func anEntitysLifecycleIsOneTraceEachStatusTheChildOfTheStepBefore() throws {
        let tracer = RecordingTracer()
        let (driver, machine) = try driver(tracer)
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p1", status: .received))
        #expect(try driver.keyValueStore(machine.entityStore, key: String.self, value: Parcel.self).get("p1")?.status == .shipped)

        let spans = tracer.spans
        #expect(spans.map(\.name) == ["entity parcel received", "entity parcel packed", "worker Ship", "entity parcel shipped"])
        #expect(Set(spans.map(\.traceID)).count == 1)
        #expect(spans.first?.parentSpanID == nil)
        for (parent, child) in zip(spans, spans.dropFirst()) {
            #expect(child.parentSpanID == parent.spanID, "\(child) is not the child of \(parent)")
        }
        #expect(spans.allSatisfy { $0.ended })
        let shipped = try #require(driver.records(of: "parcel.shipped").last)
        #expect(TraceContextHeaders(headers: shipped.headers)?.traceparent == "00-\(spans[2].traceID)-\(spans[2].spanID)-01")
    }

    @Test func aCommandWithoutATraceparentContinuesTheEntitysTraceKeptInItsHistory() throws {
        let tracer = RecordingTracer()
        let (driver, machine) = try driver(tracer)
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p4", status: .received))
        try driver.inputTopic(machine.commandsTopic, key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "p4", value: StateMachineCommand(entityID: "p4", name: "deliver", actor: "courier"))
        let history = try #require(try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self)
            .get("p4"))
        #expect(history.map(\.status) == ["received", "packed", "shipped", "delivered"])

        let spans = tracer.spans
        #expect(spans.map(\.name) == ["entity parcel received", "entity parcel packed", "worker Ship", "entity parcel shipped",
                                      "command parcel deliver", "entity parcel delivered"])
        #expect(Set(spans.map(\.traceID)).count == 1)
        let shipped = try #require(spans.first { $0.name == "entity parcel shipped" })
        let worker = try #require(spans.first { $0.name == "worker Ship" })
        let command = try #require(spans.first { $0.name == "command parcel deliver" })
        #expect(shipped.parentSpanID == worker.spanID)
        // The shipped status was reached by the worker's span: the command continues that one.
        #expect(command.parentSpanID == worker.spanID)
        #expect(history.last?.trace?.traceparent == "00-\(command.traceID)-\(command.spanID)-01")
    }

    @Test func aCommandWithATraceparentOfItsOwnJoinsTheEntitysTraceLinkedToTheCallers() throws {
        let tracer = RecordingTracer()
        let (driver, machine) = try driver(tracer)
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p5", status: .received))
        let caller = TraceContextHeaders(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        try driver.inputTopic(machine.commandsTopic, key: .string, value: .json(StateMachineCommand.self))
            .pipeInput(key: "p5", value: StateMachineCommand(entityID: "p5", name: "deliver", actor: "courier"), headers: caller.headers)
        let spans = tracer.spans
        let command = try #require(spans.first { $0.name == "command parcel deliver" })
        #expect(command.traceID == spans[0].traceID)
        #expect(command.parentSpanID == spans.first { $0.name == "worker Ship" }?.spanID)
        #expect(command.links == ["b7ad6b7169203331"])
    }

    @Test func anEntityWhoseFirstRecordHasATraceparentJoinsThatTrace() throws {
        let tracer = RecordingTracer()
        let (driver, _) = try driver(tracer)
        defer { driver.close() }
        let caller = TraceContextHeaders(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p2", status: .received), headers: caller.headers)
        let spans = tracer.spans
        #expect(spans.count == 4)
        #expect(spans.allSatisfy { $0.traceID == "0af7651916cd43dd8448eb211c80319c" })
        #expect(spans.first?.parentSpanID == "b7ad6b7169203331")
    }

    @Test func withTracingOffStatusRecordsCarryNoTraceparent() throws {
        let (driver, _) = try driver(NoOpTracer())
        defer { driver.close() }
        try driver.inputTopic("parcel.received", key: .string, value: .json(Parcel.self))
            .pipeInput(key: "depot", value: Parcel(id: "p3", status: .received))
        let records = driver.records(of: "parcel.packed") + driver.records(of: "parcel.shipped")
        #expect(records.count == 2)
        #expect(records.allSatisfy { TraceContextHeaders(headers: $0.headers) == nil })
    }
}
