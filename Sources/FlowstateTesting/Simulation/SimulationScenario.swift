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

/// A topology and its sequential model, run by ``Simulation`` under crashes and rebalances.
///
/// To add a scenario, conform a type and add it to ``Simulation/scenarios``: the harness
/// creates ``topics``, feeds ``makeInput(_:)`` records, runs instances of ``makeTopology()``,
/// then compares read_committed outputs and stores with ``expectation(for:)``.
package protocol SimulationScenario: Sendable {
    /// Names the scenario on the command line (`flowstate simulate --scenario <name>`).
    var name: String { get }
    /// The application id of the instances.
    var applicationID: String { get }
    /// Source and sink topics with partition counts (internal topics are created by the runtime).
    var topics: [String: Int] { get }
    /// Output topics whose read_committed contents the model predicts.
    var checkedOutputTopics: [String] { get }
    /// Builds the topology under test.
    func makeTopology() throws -> Topology
    /// Draws one input record.
    func makeInput(_ random: inout SimulationRandom) -> SimulationInput
    /// Runs the model over every input record, each partition in offset order.
    func expectation(for inputs: [KafkaConsumerRecord]) throws -> SimulationExpectation
}
