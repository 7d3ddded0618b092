@testable import Saga
import Testing
import Tracing

/// Tracing off costs nothing per record: no span name or parent is built, no header written.
@Suite struct RecordTracingTests {
    @Test func withTheNoOpTracerNeitherTheNameNorTheParentIsEvaluatedAndTheBodyGetsNoTrace() throws {
        let tracing = RecordTracing(NoOpTracer())
        #expect(tracing.tracer == nil)
        var evaluated: [String] = []
        func name() -> String { evaluated.append("name"); return "span" }
        func parent() -> TraceContextHeaders? { evaluated.append("parent"); return nil }
        let trace = try tracing.span(name(), parent: parent()) { $0 }
        #expect(trace == nil)
        #expect(tracing.start(name(), parent: parent()) == nil)
        #expect(evaluated.isEmpty)
    }

    @Test func withATracerTheSpanIsTheChildOfTheParentAndItsRecordsCarryItsContext() throws {
        let tracer = RecordingTracer()
        let tracing = RecordTracing(tracer)
        let parent = TraceContextHeaders(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let trace = try tracing.span("step", parent: parent) { $0 }
        let span = try #require(tracer.spans.first)
        #expect(span.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(span.parentSpanID == "00f067aa0ba902b7")
        #expect(span.ended)
        #expect(trace == TraceContextHeaders(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-\(span.spanID)-01"))
    }

    @Test func anErrorThrownInsideTheSpanIsRecordedOnItAndPassedOn() {
        struct Refused: Error {}
        let tracer = RecordingTracer()
        #expect(throws: Refused.self) {
            try RecordTracing(tracer).span("step", parent: nil) { _ in throw Refused() }
        }
        #expect(tracer.spans.map(\.failed) == [true])
        #expect(tracer.spans.first?.parentSpanID == nil)
    }
}
