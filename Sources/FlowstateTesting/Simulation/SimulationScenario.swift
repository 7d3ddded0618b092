package import Flowstate
package import FlowstateKafka

/// One input record a scenario feeds its topology.
package struct SimulationInput: Hashable, Sendable {
    /// The topic it goes to.
    package var topic: String
    /// Key bytes (the partition is chosen from it, as Kafka does).
    package var key: [UInt8]
    /// Value bytes.
    package var value: [UInt8]

    package init(topic: String, key: [UInt8], value: [UInt8]) {
        self.topic = topic
        self.key = key
        self.value = value
    }
}

/// What a sequential model says a run must end with.
package struct SimulationExpectation: Sendable {
    /// Per checked output topic, per key: the values read_committed consumers must see, in order.
    package var outputs: [String: [[UInt8]: [[UInt8]?]]]
    /// Per store, the union of every task's entries.
    package var stores: [String: [[UInt8]: [UInt8]]]

    package init(outputs: [String: [[UInt8]: [[UInt8]?]]], stores: [String: [[UInt8]: [UInt8]]]) {
        self.outputs = outputs
        self.stores = stores
    }
}

/// The settled world a scenario's own properties are checked on (``SimulationScenario/verify(_:)``).
package struct SimulationWorld {
    /// The input records produced, in production order, with the partition each went to.
    package let inputs: [KafkaConsumerRecord]
    /// Per store, the union of every task's committed entries (each task owned by one instance).
    package let stores: [String: [[UInt8]: [UInt8]]]
    let kafka: SimulatedKafka

    /// Every committed record of `topic` as a read_committed consumer reading from the start
    /// sees it, partition by partition, each in offset order — including records retention
    /// deleted since (a topology that consumes its own outputs has them trimmed too).
    package func readCommitted(_ topic: String) -> [KafkaConsumerRecord] { kafka.auditCommitted(topic) }
}

/// A topology and its sequential model, run by ``Simulation`` under crashes and rebalances.
///
/// To add a scenario, conform a type and add it to `Simulation.scenarios` (in
/// `FlowstateSimulationScenarios`): the harness creates ``topics``, feeds
/// ``makeInput(_:after:)`` records, runs instances of ``makeTopology()``, then compares
/// read_committed outputs and stores with ``expectation(for:)`` and checks ``verify(_:)``.
package protocol SimulationScenario: Sendable {
    /// Names the scenario on the command line (`flowstate simulate --scenario <name>`).
    var name: String { get }
    /// The application id of the instances.
    var applicationID: String { get }
    /// Source and sink topics with partition counts (internal topics are created by the runtime).
    var topics: [String: Int] { get }
    /// Output topics whose read_committed contents the model predicts exactly.
    var checkedOutputTopics: [String] { get }
    /// Builds the topology under test.
    func makeTopology() throws -> Topology
    /// Draws one input record; `earlier` holds the records drawn before it in the plan (so an
    /// input may refer to an earlier one, such as an approval of a statement).
    func makeInput(_ random: inout SimulationRandom, after earlier: [SimulationInput]) -> SimulationInput
    /// Runs the model over every input record, each partition in offset order: the outputs
    /// and stores it predicts exactly.
    func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation
    /// The scenario's own properties over the settled world: what the model predicts only up
    /// to timestamps or to orders the run decides (an approval that overtook its statement).
    ///
    /// - Returns: The properties broken, with what was found; empty when all hold.
    func verify(_ world: SimulationWorld) throws -> [SimulationViolation]
    /// How long the settled world must stay quiet (no input left, no transaction open) before
    /// the final checks, in simulated milliseconds: longer than any timer the topology
    /// schedules (deferred retries), so nothing is still due.
    var quietPeriod: Int64 { get }
}

extension SimulationScenario {
    /// No properties beyond the generic ones.
    package func verify(_ world: SimulationWorld) throws -> [SimulationViolation] { [] }
    /// 300 ms: the topology schedules no timers.
    package var quietPeriod: Int64 { 300 }
}
