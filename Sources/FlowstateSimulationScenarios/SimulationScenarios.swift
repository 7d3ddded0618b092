package import FlowstateTesting

extension Simulation {
    /// Every scenario, by name: counting (the engine alone), the statement lifecycle (a state
    /// machine) and the place-order saga (orchestrator and worker).
    package static let scenarios: [any SimulationScenario] = [CountingScenario(), StatementScenario(), PlaceOrderScenario()]

    /// The scenario called `name`, if any.
    package static func scenario(named name: String) -> (any SimulationScenario)? {
        scenarios.first { $0.name == name }
    }
}
