import Flowstate
import Tracing

/// Reads a tracer's propagation fields (`traceparent`, `tracestate`) from record headers.
struct KafkaHeaderExtractor: Extractor {
    func extract(key: String, from carrier: [KafkaHeader]) -> String? {
        carrier.last(named: key)?.stringValue
    }
}

/// Writes a tracer's propagation fields into record headers, replacing a header of the same name.
struct KafkaHeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [KafkaHeader]) {
        carrier.removeAll { $0.key == key }
        carrier.append(KafkaHeader(key: key, string: value))
    }
}
