public import Flowstate

/// The W3C trace context a record carries: its `traceparent` header and, if any, its
/// `tracestate` header.
///
/// A saga instance keeps the context of the last span that handled it, so that a timer firing
/// later, or a reply that arrives without headers, continues the same trace.
public struct TraceContextHeaders: Codable, Sendable, Hashable {
    /// The name of the header with the trace id, parent span id and flags.
    public static let traceparentKey = "traceparent"
    /// The name of the header with vendor-specific trace state.
    public static let tracestateKey = "tracestate"

    /// The `traceparent` value: `version-traceid-spanid-flags`.
    public var traceparent: String
    /// The `tracestate` value, if the tracer set one.
    public var tracestate: String?

    /// A context of `traceparent` and, optionally, `tracestate`.
    public init(traceparent: String, tracestate: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }

    /// The context in `headers` (the last `traceparent` and `tracestate`), or `nil` when they
    /// have no `traceparent`.
    public init?(headers: [KafkaHeader]) {
        guard let traceparent = headers.last(named: Self.traceparentKey)?.stringValue else { return nil }
        self.init(traceparent: traceparent, tracestate: headers.last(named: Self.tracestateKey)?.stringValue)
    }

    /// The context as record headers.
    public var headers: [KafkaHeader] {
        var headers = [KafkaHeader(key: Self.traceparentKey, string: traceparent)]
        if let tracestate { headers.append(KafkaHeader(key: Self.tracestateKey, string: tracestate)) }
        return headers
    }
}

extension TraceContextHeaders: BinaryDirectEncodable {
    /// Writes the context's binary store encoding directly (the bytes its `Encodable` conformance writes).
    public func encode(to writer: inout BinaryWriter) {
        writer.field("traceparent", traceparent)
        writer.field("tracestate", ifPresent: tracestate)
    }
}
