package import Flowstate

/// A fault the harness injects when an instance reaches an armed ``FaultPoint``.
package enum SimulationFault: Hashable, Sendable {
    /// The process dies on the spot: no commit, no abort, no close.
    case crash
    /// The process stops (no heartbeats) while the rest of the world runs for this long, then
    /// resumes where it was: past the session timeout it resumes as a zombie.
    case pause(milliseconds: Int64)
}

/// One step of a simulation's schedule. A schedule is a list of these, drawn from the seed;
/// an action that does not apply (stepping a crashed instance) does nothing, so any sub-list
/// is a valid schedule too (which is how failing schedules are shortened).
package enum SimulationAction: Hashable, Sendable, CustomStringConvertible {
    /// The input producer appends records.
    case produce([SimulationInput])
    /// Simulated time passes.
    case advance(milliseconds: Int64)
    /// An instance runs this many turns of its stream thread's loop.
    case step(instance: Int, turns: Int)
    /// The next `occurrence`-th time the instance reaches `point`, `fault` happens.
    case arm(instance: Int, point: FaultPoint, occurrence: Int, fault: SimulationFault)
    /// A crashed, failed or stopped instance starts again, on its old state directory or a fresh one.
    case restart(instance: Int, freshState: Bool)
    /// A running instance stops gracefully.
    case stop(instance: Int)
    /// The broker's log cleaner compacts every compacted topic.
    case compact
    /// Retention deletes input records the group has committed past.
    case deleteConsumedInput

    package var description: String {
        switch self {
        case .produce(let inputs): "produce \(inputs.count) record(s)"
        case .advance(let milliseconds): "advance \(milliseconds) ms"
        case .step(let instance, let turns): "step instance \(instance) × \(turns)"
        case .arm(let instance, let point, let occurrence, .crash):
            "arm crash of instance \(instance) at \(point.rawValue) #\(occurrence)"
        case .arm(let instance, let point, let occurrence, .pause(let milliseconds)):
            "arm pause of instance \(instance) at \(point.rawValue) #\(occurrence) for \(milliseconds) ms"
        case .restart(let instance, let fresh): "restart instance \(instance) on \(fresh ? "a fresh" : "its old") state directory"
        case .stop(let instance): "stop instance \(instance) gracefully"
        case .compact: "compact changelogs"
        case .deleteConsumedInput: "delete consumed input (retention)"
        }
    }
}

/// The parameters and schedule of one run, all drawn from its seed.
package struct SimulationPlan: Sendable {
    /// The seed everything is drawn from.
    package var seed: UInt64
    /// Application instances (pods).
    package var instances: Int
    /// The schedule.
    package var actions: [SimulationAction]

    /// Draws a plan for `scenario` from `seed`.
    package init(seed: UInt64, scenario: any SimulationScenario, length: Int = 320, sessionTimeout: Int64,
                 transactionTimeout: Int64) {
        self.seed = seed
        var random = SimulationRandom(seed: seed)
        instances = Int.random(in: 2...3, using: &random)
        var actions: [SimulationAction] = []
        var inputBudget = Int.random(in: 150...400, using: &random)
        var inputs: [SimulationInput] = []
        while actions.count < length {
            let instance = Int.random(in: 0..<instances, using: &random)
            let roll = Int.random(in: 0..<1000, using: &random)
            switch roll {
            case 0..<420:
                actions.append(.step(instance: instance, turns: Int.random(in: 1...4, using: &random)))
            case 420..<600:
                actions.append(.advance(milliseconds: Int64.random(in: 10...300, using: &random)))
            case 600..<760 where inputBudget > 0:
                let count = min(inputBudget, Int.random(in: 1...8, using: &random))
                inputBudget -= count
                let batch = (0..<count).map { _ in
                    let input = scenario.makeInput(&random, after: inputs)
                    inputs.append(input)
                    return input
                }
                actions.append(.produce(batch))
            case 760..<840:
                let point = FaultPoint.allCases.randomElement(using: &random)!
                let occurrence = Int.random(in: 1...3, using: &random)
                let fault: SimulationFault = random.chance(0.75)
                    ? .crash
                    : .pause(milliseconds: sessionTimeout + Int64.random(in: 500...transactionTimeout, using: &random))
                actions.append(.arm(instance: instance, point: point, occurrence: occurrence, fault: fault))
            case 840..<940:
                actions.append(.restart(instance: instance, freshState: random.chance(0.3)))
            case 940..<955:
                actions.append(.stop(instance: instance))
            case 955..<985:
                actions.append(.compact)
            case 985..<1000:
                actions.append(.deleteConsumedInput)
            default:
                actions.append(.step(instance: instance, turns: 1))
            }
        }
        self.actions = actions
    }

    /// A plan with the given schedule (a shortened one).
    package init(seed: UInt64, instances: Int, actions: [SimulationAction]) {
        self.seed = seed
        self.instances = instances
        self.actions = actions
    }
}
