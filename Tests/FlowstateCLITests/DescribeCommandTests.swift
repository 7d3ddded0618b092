import Foundation
import Testing

@Suite struct DescribeCommandTests {
    @Test func describesTopologiesAsTextAndStateMachinesAndSagasAsStateDiagrams() async throws {
        let machine = try FlowstateProcess(["describe", "statement", "--format", "state-diagram"])
        let diagram = await machine.remainingOutput()
        #expect(await machine.waitForExit() == 0)
        #expect(diagram.hasPrefix("stateDiagram-v2\n    [*] --> close_initiated\n"))
        #expect(diagram.contains("waiting_for_approval --> approved : command approve"))

        let saga = try FlowstateProcess(["describe", "place-order", "--format", "state-diagram"])
        let steps = await saga.remainingOutput()
        #expect(await saga.waitForExit() == 0)
        #expect(steps.contains("shipping_service_schedule_delivery --> undo_inventory_service_reserve_items : failure"))

        let worker = try FlowstateProcess(["describe", "place-order-worker"])
        let text = await worker.remainingOutput()
        #expect(await worker.waitForExit() == 0)
        #expect(text.contains("saga.undo.payment-service.make-payment") && text.contains("Sink: reply-place-order"))
    }

    @Test func aTopologyWithoutAStateMachineHasNoStateDiagram() async throws {
        let process = try FlowstateProcess(["describe", "word-count", "--format", "state-diagram"])
        _ = await process.remainingOutput()
        #expect(await process.waitForExit() != 0)
        #expect(process.errorOutput().contains("word-count is neither a state machine nor a saga"))
    }
}
