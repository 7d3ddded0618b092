import Flowstate
import FlowstateTesting
import Saga
import Synchronization
import Testing
import Tracing

/// The two-step saga of ``twoStepSaga(onNextRevert:second:)``, its orchestrator and worker both
/// traced by `tracer`.
private func tracedSaga(_ tracer: any Tracer, second: @escaping SagaEndpoint.Body) throws -> TopologyTestDriver {
    let definition = try SagaDefinition(
        name: "demo", steps: [.command("svc.first", key: 1), .command("svc.second", key: 2)],
        retry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(100)),
        compensationRetry: SagaRetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(100)))
    var worker = try SagaWorker(name: "demo-worker", serving: ["demo"], endpoints: [
        .command("svc.first", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero)) { _ in } undo: { _ in },
        .command("svc.second", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero), do: second) { _ in },
    ])
    worker.tracer = tracer
    var orchestrator = SagaOrchestrator(definition)
    orchestrator.tracer = tracer
    let builder = TopologyBuilder()
    orchestrator.addTo(builder)
    worker.addTo(builder)
    return try TopologyTestDriver(topology: try builder.build(), applicationID: "demo")
}

@Suite struct SagaTraceTests {
    @Test func aCompensatedSagaIsOneTraceEachStepTheChildOfTheRecordBefore() throws {
        let tracer = RecordingTracer()
        let driver = try tracedSaga(tracer) { _ in throw SagaEndpointError.nonRetryable("out of stock") }
        defer { driver.close() }
        try driver.startSaga("t1")
        #expect(try driver.sagaInstance("t1")?.status == .compensated)

        let spans = tracer.spans
        #expect(spans.map(\.name) == [
            "saga demo start", "endpoint saga.do.svc.first", "saga demo step 1", "endpoint saga.do.svc.second",
            "saga demo step 2", "endpoint saga.undo.svc.first", "saga demo step -1",
        ])
        #expect(Set(spans.map(\.traceID)).count == 1)
        #expect(spans.first?.parentSpanID == nil)
        for (parent, child) in zip(spans, spans.dropFirst()) {
            #expect(child.parentSpanID == parent.spanID, "\(child) is not the child of \(parent)")
        }
        #expect(spans.allSatisfy { $0.ended })
        #expect(spans.filter(\.failed).map(\.name) == ["endpoint saga.do.svc.second"])
    }

    @Test func everyRecordOfTheSagaCarriesItsTraceparentAndTheInstanceKeepsIt() throws {
        let tracer = RecordingTracer()
        let driver = try tracedSaga(tracer) { _ in }
        defer { driver.close() }
        try driver.startSaga("t2")
        let traceID = try #require(tracer.spans.first?.traceID)
        let records = ["saga.do.svc.first", "saga.do.svc.second", "saga.reply.demo", "saga.events.demo"]
            .flatMap { driver.records(of: $0) }
        #expect(!records.isEmpty)
        for record in records {
            let context = TraceContextHeaders(headers: record.headers)
            #expect(context?.traceparent.split(separator: "-")[1] == Substring(traceID), "\(record.topic) has no traceparent of the saga")
        }
        let instance = try #require(try driver.sagaInstance("t2"))
        #expect(instance.status == .completed)
        #expect(instance.trace?.traceparent == "00-\(traceID)-\(tracer.spans.last!.spanID)-01")
    }

    @Test func aStartRecordWithATraceparentContinuesThatTrace() throws {
        let tracer = RecordingTracer()
        let driver = try tracedSaga(tracer) { _ in }
        defer { driver.close() }
        let caller = TraceContextHeaders(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        try driver.inputTopic("saga.start.demo", key: .string, value: .json(JSONObject.self))
            .pipeInput(key: "t3", value: ["n": .int(1)], headers: caller.headers)
        let spans = tracer.spans
        #expect(spans.count == 5)
        #expect(spans.allSatisfy { $0.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" })
        #expect(spans.first?.parentSpanID == "00f067aa0ba902b7")
    }

    @Test func aDeferredRetryContinuesTheSagasTraceFromTheStoredInstance() throws {
        let tracer = RecordingTracer()
        let failures = Failures(count: 1)
        let driver = try tracedSaga(tracer) { _ in try failures.next() }
        defer { driver.close() }
        try driver.startSaga("t4")
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(try driver.sagaInstance("t4")?.status == .completed)
        let spans = tracer.spans
        #expect(spans.map(\.name).contains("saga demo retry step 2"))
        #expect(Set(spans.map(\.traceID)).count == 1)
        let retry = try #require(spans.first { $0.name == "saga demo retry step 2" })
        let replied = try #require(spans.last { $0.name == "saga demo step 2" && $0.spanID < retry.spanID })
        #expect(retry.parentSpanID == replied.spanID)
    }

    @Test func withTracingOffNoRecordCarriesATraceparentAndNoInstanceKeepsATrace() throws {
        let driver = try tracedSaga(NoOpTracer()) { _ in }
        defer { driver.close() }
        try driver.startSaga("t5")
        let records = ["saga.do.svc.first", "saga.reply.demo", "saga.events.demo"].flatMap { driver.records(of: $0) }
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { TraceContextHeaders(headers: $0.headers) == nil })
        #expect(try driver.sagaInstance("t5")?.trace == nil)
    }
}

/// Fails retryably the first `count` times.
private final class Failures: Sendable {
    private let left: Mutex<Int>
    init(count: Int) { left = Mutex(count) }
    func next() throws {
        let failing = left.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if failing { throw SagaEndpointError.retryable("busy") }
    }
}
