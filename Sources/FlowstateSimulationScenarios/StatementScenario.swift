package import Flowstate
package import FlowstateKafka
package import FlowstateTesting
import Saga
import StatementLifecycle

/// Scenario 2: the statement lifecycle (``StatementLifecycle``), a state machine whose
/// topology consumes its own status topics.
///
/// Inputs are close-initiated statements over a few organisations (amounts on both sides of
/// the auto-approval limit, both payment methods) and `approve` commands for statements above
/// the limit drawn earlier — sometimes none, so some statements wait for ever. An approval
/// may still reach the command router before the statement's index entry (they are different
/// partitions of one task): it is then rejected as unknown, and the model accepts either
/// outcome but never both or neither. See ``verify(_:)`` for the properties.
package struct StatementScenario: SimulationScenario {
    package let name = "statement"
    package let applicationID = "sim-statement"
    /// Statements up to this amount are approved automatically.
    package var autoApprovalLimit = 10_000
    /// The limit the model assumes (differs from ``autoApprovalLimit`` only to test that a wrong model is caught).
    package var modelAutoApprovalLimit: Int?
    /// Organisations (partition keys) drawn.
    package var organisations = 5
    /// Chance that an input is an approval (when a statement is waiting for one).
    package var approvalChance = 0.4

    package init() {}

    static let machineName = "statement"
    static let statusTopics = StatementStatus.allCases.map { "statement.\($0.rawValue)" }
    static let commandsTopic = "statement.commands"
    static let routedCommandsTopic = "statement.routed-commands"
    static let indexTopic = "statement.index"
    static let rejectionsTopic = "statement.rejections"
    static let workerRetriesTopic = "statement.worker-retries"
    static let initiationTopic = "statement.close-initiated"

    package var topics: [String: Int] {
        let all = Self.statusTopics + [Self.commandsTopic, Self.routedCommandsTopic, Self.indexTopic, Self.rejectionsTopic,
                                       Self.workerRetriesTopic]
        return Dictionary(uniqueKeysWithValues: all.map { ($0, 4) })
    }

    /// None exactly: every output carries a wall-clock timestamp; ``verify(_:)`` checks them.
    package var checkedOutputTopics: [String] { [] }

    /// The lifecycle with asynchronous steps: each worker's step is a call (its real wait, a
    /// nanosecond, is nothing) that finishes when the simulation says, after a seed-chosen delay
    /// of simulated time, so crashes, pauses and rebalances find steps in flight.
    package func makeTopology() throws -> Topology {
        try StatementLifecycle.topology(.init(autoApprovalLimit: autoApprovalLimit, stepLatency: .nanoseconds(1)))
    }

    package func makeInput(_ random: inout SimulationRandom, after earlier: [SimulationInput]) -> SimulationInput {
        if random.chance(approvalChance), let statement = awaitingApproval(earlier, &random) {
            let command = StateMachineCommand(entityID: statement, name: StatementLifecycle.approveCommand,
                                              actor: "approver-\(earlier.count)")
            return SimulationInput(topic: Self.commandsTopic, key: Array(statement.utf8),
                                   value: (try? JSONSerde<StateMachineCommand>().serialize(command)) ?? [])
        }
        let statement = Statement(
            id: "st-\(earlier.count)", organisationId: "org-\(Int.random(in: 0..<organisations, using: &random))",
            amount: Int.random(in: 1...(2 * autoApprovalLimit), using: &random),
            paymentMethod: random.chance(0.5) ? .directDebit : .manual)
        return SimulationInput(topic: Self.initiationTopic, key: Array(statement.organisationId.utf8),
                               value: (try? JSONSerde<Statement>().serialize(statement)) ?? [])
    }

    /// A statement drawn before, above the limit and not approved yet, if the one picked is.
    private func awaitingApproval(_ earlier: [SimulationInput], _ random: inout SimulationRandom) -> String? {
        let initiations = earlier.filter { $0.topic == Self.initiationTopic }
        guard let picked = initiations.randomElement(using: &random),
              let statement = try? JSONSerde<Statement>().deserialize(picked.value), statement.amount > autoApprovalLimit
        else { return nil }
        let key = Array(statement.id.utf8)
        return earlier.contains { $0.topic == Self.commandsTopic && $0.key == key } ? nil : statement.id
    }

    /// Nothing the model predicts byte for byte (timestamps); see ``verify(_:)``.
    package func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation {
        SimulationExpectation(outputs: [:], stores: [:])
    }
}
