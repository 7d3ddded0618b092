public import Flowstate
public import Saga

/// A topology a pod executable can run, by name: a state machine, a saga orchestrator, a saga
/// worker, or any topology.
///
/// A registration carries everything the pod's commands need: how to build the topology (from
/// its ``PodOption`` values), the topics it reads and writes (`create-topics`, `dev-broker
/// --topology`), and for a state machine or a saga what `command`, `show` and `saga start|show`
/// need to talk to it.
public struct PodRegistration: Sendable {
    /// The name `run`, `describe` and `create-topics` take (`statement`).
    public let name: String
    /// The application id when `--application-id` is not given.
    public let defaultApplicationID: String
    /// One line for `--help`.
    public let summary: String
    /// The options `run` accepts for this topology.
    public let options: [PodOption]
    /// Every source and sink topic of the topology (internal changelog topics excluded; the
    /// pods create those).
    public let topics: [String]
    let makeUnits: @Sendable (_ applicationID: String, _ options: PodOptionValues) throws -> [PodUnit]
    let stateDiagram: (@Sendable () throws -> String)?
    let machine: RegisteredMachine?
    let saga: SagaDefinition?

    /// Any topology, built from its options' values.
    ///
    /// - Parameters:
    ///   - topics: The topics it reads and writes; default: those of the topology built with no
    ///     options.
    public static func topology(_ name: String, applicationID: String? = nil, summary: String, options: [PodOption] = [],
                                topics: [String]? = nil,
                                make: @escaping @Sendable (PodOptionValues) throws -> Topology) -> PodRegistration {
        PodRegistration(name: name, defaultApplicationID: applicationID ?? name, summary: summary, options: options,
                        topics: topics ?? ((try? make(PodOptionValues()))?.describe(applicationID: name).topics ?? []),
                        makeUnits: { id, values in [PodUnit(applicationID: id, topology: try make(values))] },
                        stateDiagram: nil, machine: nil, saga: nil)
    }

    /// A state machine, built from its options' values (the machine's name is the
    /// registration's and the default application id).
    ///
    /// - Throws: ``SagaDefinitionError`` when the machine built with no options is invalid.
    public static func stateMachine<Entity: StateMachineEntity>(
        summary: String, options: [PodOption] = [],
        make: @escaping @Sendable (PodOptionValues) throws -> StateMachine<Entity>
    ) throws -> PodRegistration {
        let machine = try make(PodOptionValues())
        try machine.validate()
        return PodRegistration(name: machine.name, defaultApplicationID: machine.name, summary: summary, options: options,
                               topics: machine.topics,
                               makeUnits: { id, values in [PodUnit(applicationID: id, topology: try make(values).topology())] },
                               stateDiagram: { machine.mermaid() }, machine: RegisteredMachine(machine), saga: nil)
    }

    /// A state machine with no options.
    ///
    /// - Throws: ``SagaDefinitionError`` for an invalid machine.
    public static func stateMachine<Entity: StateMachineEntity>(_ machine: StateMachine<Entity>, summary: String) throws
        -> PodRegistration {
        try stateMachine(summary: summary) { _ in machine }
    }

    /// A saga's orchestrator (named and identified by the saga's name).
    public static func sagaOrchestrator(_ orchestrator: SagaOrchestrator, summary: String) -> PodRegistration {
        let definition = orchestrator.definition
        return PodRegistration(name: definition.name, defaultApplicationID: definition.name, summary: summary, options: [],
                               topics: orchestrator.topics,
                               makeUnits: { id, _ in [PodUnit(applicationID: id, topology: try orchestrator.topology())] },
                               stateDiagram: { definition.mermaid() }, machine: nil, saga: definition)
    }

    /// A saga worker's endpoints: one application per listener (each with its own stream
    /// threads), named `<application id><listener suffix>`.
    ///
    /// - Throws: What building the worker with no options throws.
    public static func sagaWorker(summary: String, options: [PodOption] = [],
                                  make: @escaping @Sendable (PodOptionValues) throws -> SagaWorker) throws -> PodRegistration {
        let worker = try make(PodOptionValues())
        let name = worker.name
        return PodRegistration(name: name, defaultApplicationID: name, summary: summary, options: options,
                               topics: try worker.listeners().flatMap(\.topics) + worker.replyTopics,
                               makeUnits: { id, values in
                                   try make(values).listeners().map { listener in
                                       PodUnit(applicationID: id + listener.applicationID.dropFirst(name.count),
                                               topology: listener.topology, threads: listener.threads)
                                   }
                               },
                               stateDiagram: nil, machine: nil, saga: nil)
    }

    /// The same registration under another name (and default application id).
    public func named(_ name: String, applicationID: String? = nil) -> PodRegistration {
        PodRegistration(name: name, defaultApplicationID: applicationID ?? defaultApplicationID, summary: summary,
                        options: options, topics: topics, makeUnits: makeUnits, stateDiagram: stateDiagram,
                        machine: machine, saga: saga)
    }
}

/// One Flowstate application of a pod: most topologies have one; a saga worker has one per
/// listener.
public struct PodUnit: Sendable {
    /// The application id (consumer group, internal topic prefix).
    public let applicationID: String
    /// What it runs.
    public let topology: Topology
    /// Stream threads the unit asks for (a listener's concurrency), unless `--threads` is given.
    public let threads: Int?

    /// A unit.
    public init(applicationID: String, topology: Topology, threads: Int? = nil) {
        self.applicationID = applicationID
        self.topology = topology
        self.threads = threads
    }
}
