import Flowstate

/// Deterministic simulation of Flowstate applications on a ``SimulatedKafka`` with crash
/// injection: runs seeds, checks ``SimulationProperty``s, shortens failing schedules.
///
/// The scenarios (`Simulation.scenarios`) are listed in `FlowstateSimulationScenarios`, the
/// layer that may import the topologies they run.
package enum Simulation {
    /// Timing of a run, in simulated milliseconds.
    package struct Parameters: Sendable {
        /// Consumer-group session timeout.
        package var sessionTimeout: Int64 = 6_000
        /// Transaction timeout (the coordinator aborts and fences after it).
        package var transactionTimeout: Int64 = 15_000
        /// Actions in a schedule.
        package var scheduleLength = 320
        /// Rounds allowed to settle after the schedule (100 ms each).
        package var settleRounds = 3_000

        package init() {}
    }

    /// Runs the plan drawn from `seed`.
    package static func run(seed: UInt64, scenario: any SimulationScenario, parameters: Parameters = Parameters()) -> SimulationOutcome {
        let plan = SimulationPlan(seed: seed, scenario: scenario, length: parameters.scheduleLength,
                                  sessionTimeout: parameters.sessionTimeout, transactionTimeout: parameters.transactionTimeout)
        return run(plan: plan, scenario: scenario, parameters: parameters)
    }

    /// Runs a given plan.
    package static func run(plan: SimulationPlan, scenario: any SimulationScenario, parameters: Parameters = Parameters()) -> SimulationOutcome {
        SimulationRun(scenario: scenario, plan: plan, parameters: parameters).execute()
    }

    /// Shortens a failing plan: drops chunks of actions while the same property still breaks.
    ///
    /// - Parameter budget: Most runs to try.
    /// - Returns: The shortest failing outcome found.
    package static func shrink(_ failing: SimulationOutcome, scenario: any SimulationScenario,
                               parameters: Parameters = Parameters(), budget: Int = 250) -> SimulationOutcome {
        guard let property = failing.violation?.property else { return failing }
        var best = failing
        var chunk = max(1, best.plan.actions.count / 2)
        var runs = 0
        while runs < budget {
            var removed = false
            var start = 0
            while start < best.plan.actions.count, runs < budget {
                var actions = best.plan.actions
                actions.removeSubrange(start..<min(start + chunk, actions.count))
                runs += 1
                let candidate = run(plan: SimulationPlan(seed: best.plan.seed, instances: best.plan.instances, actions: actions),
                                    scenario: scenario, parameters: parameters)
                if candidate.violation?.property == property {
                    best = candidate
                    removed = true
                } else {
                    start += chunk
                }
            }
            if !removed {
                if chunk == 1 { break }
                chunk = max(1, chunk / 2)
            }
        }
        return best
    }

    /// The command that replays `seed`.
    package static func replayCommand(seed: UInt64, scenario: any SimulationScenario) -> String {
        "swift run flowstate simulate --scenario \(scenario.name) --seed \(seed)"
    }

    /// A failing run explained: the violation, the replay command and the shortened schedule.
    package static func report(_ failing: SimulationOutcome, shortened: SimulationOutcome, scenario: any SimulationScenario) -> String {
        var lines = ["seed \(failing.plan.seed) (\(failing.plan.instances) instances) broke \(failing.violation?.description ?? "nothing")",
                     "replay: \(replayCommand(seed: failing.plan.seed, scenario: scenario))",
                     "shortest schedule found (\(shortened.plan.actions.count) of \(failing.plan.actions.count) actions), "
                        + "breaking \(shortened.violation?.description ?? "nothing"):"]
        lines += shortened.plan.actions.enumerated().map { "  \($0.offset + 1). \($0.element)" }
        lines.append("events of the shortened run:")
        lines += shortened.events.map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}
