@testable import Flowstate
import Saga
import Testing

/// The trace context kept in stores is an `Optional` field: values stored before it decode.
@Suite struct StoredTraceContextTests {
    /// A history entry as stored before traces.
    private struct LifecycleEventBeforeTraces: Codable {
        var status: String
        var at: Int64
        var actor: String
    }

    @Test func aHistoryStoredBeforeTracesDecodesWithoutATrace() throws {
        let bytes = try BinaryEncoder.encode([LifecycleEventBeforeTraces(status: "received", at: 5, actor: "external")])
        let history = try BinarySerde<[LifecycleEvent]>().deserialize(bytes)
        #expect(history == [LifecycleEvent(status: "received", at: 5, actor: "external")])
        #expect(history.first?.trace == nil)
    }

    @Test func aSagaInstanceStoredBeforeTracesDecodesWithoutATrace() throws {
        let json = #"""
        {"transactionID":"t1","saga":"demo","status":"in-progress","currentStepKey":1,"attempt":1,"entity":{},"hints":{},
         "errorContext":{},"completedCommandSteps":[],"pendingCompensations":[],"retries":0,"history":[]}
        """#
        let instance = try JSONSerde<SagaInstance>().deserialize(Array(json.utf8))
        #expect(instance.transactionID == "t1")
        #expect(instance.trace == nil)
    }
}
