import Flowstate
import FlowstatePod
import PlaceOrder
import Saga
import StatementLifecycle
import WordCount

/// The topologies `flowstate` runs as pods: its own registrations on the same entry point a
/// user's pod executable uses.
enum FlowstateRegistrations {
    /// `--step-latency`: what every automatic statement step and place-order endpoint awaits first.
    static let stepLatency = PodOption.milliseconds(
        "step-latency", environment: "FLOWSTATE_STEP_LATENCY_MS",
        help: "each automatic step or endpoint first awaits this many milliseconds, a stand-in for a remote call; default 0")
    /// `--auto-approval-limit`: statements with amounts up to this are approved without a person.
    static let autoApprovalLimit = PodOption.integer(
        "auto-approval-limit", environment: "FLOWSTATE_AUTO_APPROVAL_LIMIT",
        help: "approve statements with amounts up to this (minor units) without a person", range: 0...Int.max)

    /// `--escalate-after`: how long a statement waits for approval before it is escalated.
    static let escalateAfter = PodOption(
        "escalate-after", environment: "FLOWSTATE_ESCALATE_AFTER_MS",
        help: "milliseconds a statement waits for approval before it is escalated; default 7 days") { text in
        (Int(text) ?? 0) > 0 ? nil : "'\(text)' is not a positive number of milliseconds"
    }

    static func all() throws -> [PodRegistration] {
        [
            .topology("word-count", summary: "counts records per key", topics: [WordCount.inputTopic, WordCount.outputTopic]) { _ in
                try WordCount.topology()
            },
            try .stateMachine(summary: "the statement lifecycle state machine",
                              options: [autoApprovalLimit, stepLatency, escalateAfter]) { values in
                var options = StatementLifecycle.Options(autoApprovalLimit: values.integer(autoApprovalLimit.flag),
                                                         stepLatency: values.duration(stepLatency.flag) ?? .zero)
                if let escalation = values.duration(escalateAfter.flag) { options.escalateAfter = escalation }
                return try StatementLifecycle.machine(options)
            },
            .sagaOrchestrator(try PlaceOrder.orchestrator(), summary: "the place-order saga orchestrator"),
            try .sagaWorker(summary: "the place-order saga's worker endpoints", options: [stepLatency]) { values in
                var options = PlaceOrder.Options()
                options.stepLatency = values.duration(stepLatency.flag) ?? .zero
                return try PlaceOrder.worker(options)
            },
        ]
    }
}
