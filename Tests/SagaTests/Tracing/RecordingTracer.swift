import Synchronization
import Tracing

/// A tracer for tests: keeps every span it starts with its trace id, span id and parent, and
/// propagates W3C `traceparent` (`00-<trace id>-<span id>-01`) as a real tracer does.
final class RecordingTracer: Tracer {
    /// A span as recorded: ids, parent and whether an error was recorded on it.
    struct Recorded: Sendable, Hashable, CustomStringConvertible {
        var name: String
        var traceID: String
        var spanID: String
        var parentSpanID: String?
        var failed = false
        var ended = false
        /// The span ids of the spans it links to.
        var links: [String] = []

        var description: String { "\(name) [\(traceID.suffix(4))/\(spanID) ← \(parentSpanID ?? "root")]" }
    }

    private let state = Mutex<(spans: [Recorded], nextID: UInt64)>(([], 0))

    /// Every span started so far, in the order they started.
    var spans: [Recorded] { state.withLock { $0.spans } }

    func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext,
                                           ofKind kind: SpanKind, at instant: @autoclosure () -> Instant, function: String,
                                           file fileID: String, line: UInt) -> RecordingSpan {
        var context = context()
        let parent = context.recordedSpanIDs
        let (index, ids) = state.withLock { state in
            state.nextID += 1
            let spanID = hex(state.nextID, digits: 16)
            let ids = RecordedSpanIDs(traceID: parent?.traceID ?? hex(state.nextID, digits: 32), spanID: spanID)
            state.spans.append(Recorded(name: operationName, traceID: ids.traceID, spanID: ids.spanID, parentSpanID: parent?.spanID))
            return (state.spans.count - 1, ids)
        }
        context.recordedSpanIDs = ids
        return RecordingSpan(context: context, index: index, tracer: self)
    }

    func activeSpan(identifiedBy context: InstrumentationContext) -> RecordingSpan? { nil }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let ids = context.recordedSpanIDs else { return }
        injector.inject("00-\(ids.traceID)-\(ids.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = value.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return }
        context.recordedSpanIDs = RecordedSpanIDs(traceID: String(parts[1]), spanID: String(parts[2]))
    }

    fileprivate func update(_ index: Int, _ change: (inout Recorded) -> Void) {
        state.withLock { change(&$0.spans[index]) }
    }
}

/// A span of ``RecordingTracer``.
struct RecordingSpan: Span {
    let context: InstrumentationContext
    private let index: Int
    private let tracer: RecordingTracer

    fileprivate init(context: InstrumentationContext, index: Int, tracer: RecordingTracer) {
        self.context = context
        self.index = index
        self.tracer = tracer
    }

    var operationName: String {
        get { tracer.spans[index].name }
        nonmutating set { tracer.update(index) { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { [:] }
        nonmutating set {}
    }

    var isRecording: Bool { true }

    func setStatus(_ status: SpanStatus) {
        if status.code == .error { tracer.update(index) { $0.failed = true } }
    }

    func addEvent(_ event: SpanEvent) {}

    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        tracer.update(index) { $0.failed = true }
    }

    func addLink(_ link: SpanLink) {
        guard let linked = link.context.recordedSpanIDs else { return }
        tracer.update(index) { $0.links.append(linked.spanID) }
    }

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        tracer.update(index) { $0.ended = true }
    }
}

/// The ids ``RecordingTracer`` keeps in a context.
struct RecordedSpanIDs: Sendable, Hashable {
    var traceID: String
    var spanID: String
}

private enum RecordedSpanIDsKey: InstrumentationContextKey {
    typealias Value = RecordedSpanIDs
}

extension InstrumentationContext {
    /// The span ids ``RecordingTracer`` put in this context.
    var recordedSpanIDs: RecordedSpanIDs? {
        get { self[RecordedSpanIDsKey.self] }
        set { self[RecordedSpanIDsKey.self] = newValue }
    }
}

private func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}
