import Flowstate
import FlowstateTesting
import Saga
import Testing

/// The `flowstate_status_entities{machine="<saga>"}` counts the orchestrator's tasks keep.
@Suite struct SagaStatusCountsTests {
    @Test func theOrchestratorCountsItsInstancesPerStatus() throws {
        let definition = try SagaDefinition(name: "demo", steps: [.command("svc.first", key: 1), .command("svc.second", key: 2)])
        let worker = try SagaWorker(name: "demo-worker", serving: ["demo"], endpoints: [
            .command("svc.first", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero)) { _ in } undo: { _ in },
            .command("svc.second", primaryRetry: ImmediateRetryPolicy(maxAttempts: 1, backoff: .zero)) { execution in
                if execution.entity["fail"] == true { throw SagaEndpointError.nonRetryable("no", context: [:]) }
            } undo: { _ in },
        ])
        var orchestrator = SagaOrchestrator(definition)
        orchestrator.statusCountInterval = .milliseconds(500)
        let counts = StatusCounts(machine: "demo")
        let builder = TopologyBuilder()
        orchestrator.addTo(builder, statusCounts: counts)
        worker.addTo(builder)
        let driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "demo",
                                            partitions: Dictionary(uniqueKeysWithValues: orchestrator.topics.map { ($0, 3) }))
        let starts = driver.inputTopic("saga.start.demo", key: .string, value: .json(JSONObject.self))
        for index in 0..<9 { try starts.pipeInput(key: "t\(index)", value: ["fail": .bool(index % 3 == 0)]) }
        try driver.advanceWallClockTime(by: .milliseconds(500))
        #expect(counts.count(of: "completed") == 6)
        #expect(counts.count(of: "compensated") == 3)
        #expect(counts.count(of: "in-progress") == 0)
        driver.close()
        #expect(counts.count(of: "completed") == 0)
    }
}
