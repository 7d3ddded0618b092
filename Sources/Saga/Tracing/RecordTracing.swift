import Flowstate
import Tracing

/// Spans around the records a saga or state-machine processor handles, each a child of the
/// trace its input carries, and the trace context its output records carry on.
///
/// Built when a task starts. With no tracer given and none bootstrapped (the `NoOpTracer`),
/// it is off: no header is read or written and no span is made.
struct RecordTracing {
    /// The tracer; `nil` when tracing is off.
    let tracer: (any Tracer)?

    /// Uses `tracer`, or the bootstrapped one when `nil`.
    init(_ tracer: (any Tracer)?) {
        let resolved = tracer ?? InstrumentationSystem.tracer
        self.tracer = resolved is NoOpTracer ? nil : resolved
    }

    /// Runs `body` inside a span named `name`, the child of `parent` or, when that is `nil`, the
    /// root of a new trace, and linked to `link` (another trace the input came with); `body`
    /// gets the context its records carry (`nil` when tracing is off, and then neither `name`,
    /// `parent` nor `link` is evaluated). A thrown error is recorded on the span.
    func span<T>(_ name: @autoclosure () -> String, parent: @autoclosure () throws -> TraceContextHeaders?,
                 link: @autoclosure () -> TraceContextHeaders? = nil,
                 _ body: (TraceContextHeaders?) throws -> T) throws -> T {
        guard let span = try start(name(), parent: parent(), link: link()) else { return try body(nil) }
        defer { span.end() }
        do {
            return try body(span.trace)
        } catch {
            span.recordError(error)
            throw error
        }
    }

    /// Starts a span as ``span(_:parent:link:_:)`` does, for work that ends later (a suspended
    /// call); `nil` when tracing is off.
    func start(_ name: @autoclosure () -> String, parent: @autoclosure () throws -> TraceContextHeaders?,
               link: @autoclosure () -> TraceContextHeaders? = nil) rethrows -> RecordSpan? {
        guard let tracer else { return nil }
        let parent = try parent()
        var context = InstrumentationContext.topLevel
        if let parent {
            tracer.extract(parent.headers, into: &context, using: KafkaHeaderExtractor())
        }
        let span = tracer.startSpan(name(), context: context, ofKind: .consumer)
        if let link = link(), link != parent {
            var linked = InstrumentationContext.topLevel
            tracer.extract(link.headers, into: &linked, using: KafkaHeaderExtractor())
            span.addLink(SpanLink(context: linked, attributes: [:]))
        }
        var outgoing: [KafkaHeader] = []
        tracer.inject(span.context, into: &outgoing, using: KafkaHeaderInjector())
        return RecordSpan(span: span, trace: TraceContextHeaders(headers: outgoing))
    }
}

/// A span in progress and the trace context of the records sent under it.
struct RecordSpan {
    /// The span.
    let span: any Span
    /// The context records sent under the span carry (`nil` if the tracer injects none).
    let trace: TraceContextHeaders?

    /// Records `error` on the span.
    func recordError(_ error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error))
    }

    /// Ends the span.
    func end() { span.end() }
}
