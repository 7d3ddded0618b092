@testable import Flowstate
@testable import Saga
import Testing

@Suite struct LifecycleEventEncodingTests {
    @Test func historyStoreBytesAreThoseOfTheCodableEncoding() throws {
        let history = [LifecycleEvent(status: "close-initiated", at: 1_700_000_000_000, actor: "external"),
                       LifecycleEvent(status: "approved", at: -1, actor: String(repeating: "a", count: 300)),
                       LifecycleEvent(status: "paid", at: 7, actor: "ledger",
                                      trace: TraceContextHeaders(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")),
                       LifecycleEvent(status: "closed", at: 8, actor: "ledger",
                                      trace: TraceContextHeaders(traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
                                                                 tracestate: "vendor=1"))]
        let bytes = try BinarySerde<[LifecycleEvent]>().serialize(history)
        #expect(bytes == (try BinaryEncoder.encode(history)))
        #expect(try BinarySerde<[LifecycleEvent]>().deserialize(bytes) == history)
    }
}

@Suite struct LifecycleHistorySerdeTests {
    @Test func writesAndReadsTheBinarySerdeBytes() throws {
        let history = [LifecycleEvent(status: "packed", at: 12, actor: "system"),
                       LifecycleEvent(status: "shipped", at: 1_700_000_000_000, actor: "carrier")]
        let bytes = try LifecycleHistorySerde().serialize(history)
        #expect(bytes == (try BinaryEncoder.encode(history)))
        #expect(try LifecycleHistorySerde().deserialize(bytes) == history)
        #expect(try LifecycleHistorySerde().serialize([]) == (try BinaryEncoder.encode([LifecycleEvent]())))
    }
}
