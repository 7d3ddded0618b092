public import Tracing

/// A state machine over an entity type: statuses, the transitions between them with their
/// guards, the workers of automatic steps, and the commands of manual steps.
///
/// Every transition does in one Kafka transaction what the seed's `nextStep()` did in one
/// database transaction: the entity is saved in the `<name>-entities` store keyed by its id,
/// a ``LifecycleEvent`` is appended to the `<name>-history` store, and the entity is emitted
/// as JSON to the topic of its new status (`<name>.<status>`) keyed by its partition key.
///
/// ```swift
/// var machine = StateMachine<Statement>(name: "statement", initial: .closeInitiated)
/// try machine.transition(from: .closeInitiated, to: .waitingForApproval)
/// try machine.transition(from: .waitingForApproval, to: .approved, command: "approve")
/// machine.addWorker(RequestApproval())
/// let topology = try machine.topology()
/// ```
public struct StateMachine<Entity: StateMachineEntity>: Sendable {
    /// What moves an entity along a transition.
    public enum Trigger: Sendable, Hashable {
        /// A worker's result.
        case worker
        /// A command of a manual step, by name.
        case command(String)
        /// Time: the entity has stayed in the status this long (a durable timer, exactly once).
        case timeout(Duration)
    }

    /// A condition on the entity, with a label for diagrams and messages.
    public struct Guard: Sendable {
        /// The label (`paymentMethod = direct-debit`).
        public let label: String
        let test: @Sendable (Entity, StateMachineCommand?) -> Bool

        /// A guard on the entity.
        public init(_ label: String, _ test: @escaping @Sendable (Entity) -> Bool) {
            self.label = label
            self.test = { entity, _ in test(entity) }
        }

        /// A guard on the entity and the command of a manual step.
        public init(_ label: String, command test: @escaping @Sendable (Entity, StateMachineCommand) -> Bool) {
            self.label = label
            self.test = { entity, command in command.map { test(entity, $0) } ?? false }
        }
    }

    /// An allowed move from one status to another.
    public struct Transition: Sendable {
        /// The status left.
        public let from: Entity.Status
        /// The status reached.
        public let to: Entity.Status
        /// What causes it.
        public let trigger: Trigger
        /// The condition, if any.
        public let condition: Guard?
        let update: (@Sendable (inout Entity, StateMachineCommand) -> Void)?
    }

    /// The machine's name: the prefix of its topics and stores.
    public let name: String
    /// The status entities enter with.
    public let initialStatus: Entity.Status
    /// The transitions, in declaration order.
    public private(set) var transitions: [Transition] = []
    /// How often each task recounts its entities per status for the
    /// `flowstate_status_entities` gauges (one scan of its entity store); `nil` turns the
    /// counting off. Default: 5 seconds.
    public var statusCountInterval: Duration? = .seconds(5)
    /// How long a command for an entity the router has not indexed yet waits for the entity's
    /// index entry before it is rejected as unknown (the router reads commands and index
    /// entries from two topics, so a command sent as soon as the entity appears can overtake
    /// the entry). Default: 30 seconds.
    public var commandIndexWait: Duration = .seconds(30)
    /// How often each task looks for due timers — workers' deferred retries and timed
    /// transitions (a range scan of the due ones only). Default: 500 milliseconds.
    public var timerCheckInterval: Duration = .milliseconds(500)
    /// The tracer of the spans `entity <machine> <status>` (an entity arriving at a status, its
    /// worker's step included), `worker <name>` (an asynchronous step's call) and
    /// `command <machine> <name>`, each a child of its record's `traceparent`; `nil` (the
    /// default) uses the bootstrapped one, read when a task starts.
    public var tracer: (any Tracer)?
    private(set) var workers: [any StateWorker<Entity>] = []

    /// Creates a machine with no transitions.
    ///
    /// - Parameters:
    ///   - name: The topic prefix (`statement` → `statement.close-initiated`).
    ///   - initial: The status new entities arrive with.
    public init(name: String, initial: Entity.Status) {
        self.name = name
        self.initialStatus = initial
    }

    /// Allows a worker to move an entity from `from` to `to` (when `condition` holds).
    ///
    /// - Throws: ``SagaDefinitionError`` for a duplicate or a self-transition.
    public mutating func transition(from: Entity.Status, to: Entity.Status, when condition: Guard? = nil)
        throws(SagaDefinitionError)
    {
        try add(Transition(from: from, to: to, trigger: .worker, condition: condition, update: nil))
    }

    /// The command that runs an entity's step again (its worker for its current status), for
    /// people pushing on an entity whose step failed: `command <machine> <id> redrive --actor …`.
    /// The entity's history gets an entry repeating its status with the actor; the step keeps
    /// its idempotency key. Reserved: no transition may use the name.
    public static var redriveCommand: String { "redrive" }

    /// Allows command `command` (a manual step) to move an entity from `from` to `to`
    /// (when `condition` holds), applying `update` to the entity.
    ///
    /// - Throws: ``SagaDefinitionError`` for a duplicate, a self-transition or a bad name.
    public mutating func transition(from: Entity.Status, to: Entity.Status, command: String, when condition: Guard? = nil,
                                    update: (@Sendable (inout Entity, StateMachineCommand) -> Void)? = nil)
        throws(SagaDefinitionError)
    {
        try TopicNames.validate(command, what: "command name")
        guard command != Self.redriveCommand else {
            throw SagaDefinitionError("command name \(command) is reserved: it re-runs an entity's step")
        }
        try add(Transition(from: from, to: to, trigger: .command(command), condition: condition, update: update))
    }

    /// Moves an entity from `from` to `to` when it has stayed in `from` for `duration`: a
    /// durable timer, scheduled in the same transaction as the transition into `from`, that
    /// fires once (surviving restarts and rebalances) unless the entity has left `from` by
    /// then. Its history entry names `"timeout"` as actor. One timed transition per status.
    ///
    /// - Throws: ``SagaDefinitionError`` for a self-transition, a second timed transition from
    ///   `from`, or a duration that is not positive.
    public mutating func transition(from: Entity.Status, to: Entity.Status, after duration: Duration)
        throws(SagaDefinitionError)
    {
        guard duration > .zero else { throw SagaDefinitionError("timed transition \(from.rawValue) → \(to.rawValue): duration must be positive") }
        guard timedTransition(from: from) == nil else {
            throw SagaDefinitionError("\(from.rawValue) already has a timed transition")
        }
        try add(Transition(from: from, to: to, trigger: .timeout(duration), condition: nil, update: nil))
    }

    /// Whether any transition is timed (the machine then keeps a timer store).
    var hasTimedTransitions: Bool {
        transitions.contains { if case .timeout = $0.trigger { true } else { false } }
    }

    /// The timed transition leaving `status`, if any.
    func timedTransition(from status: Entity.Status) -> (to: Entity.Status, after: Duration)? {
        for transition in transitions where transition.from == status {
            if case .timeout(let duration) = transition.trigger { return (transition.to, duration) }
        }
        return nil
    }

    /// Adds a worker. Workers are tried in the order added; the first applicable one runs.
    public mutating func addWorker(_ worker: some StateWorker<Entity>) {
        workers.append(worker)
    }

    /// Statuses no transition leaves.
    public var terminalStatuses: [Entity.Status] {
        Entity.Status.allCases.filter { status in !transitions.contains { $0.from == status } }
    }

    /// The topic of `status`: `<name>.<raw value>`.
    public func topic(of status: Entity.Status) -> String { "\(name).\(status.rawValue)" }

    /// Checks names and reachability.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad name, no transitions, or a status that
    ///   cannot be reached from the initial one.
    public func validate() throws(SagaDefinitionError) {
        try TopicNames.validate(name, what: "state machine name")
        for status in Entity.Status.allCases {
            try TopicNames.validate(status.rawValue, what: "status")
            guard !Self.reservedTopicSuffixes.contains(status.rawValue) else {
                throw SagaDefinitionError("status \(status.rawValue) would share its topic with the machine's own "
                                          + "\(name).\(status.rawValue); rename it")
            }
        }
        guard !transitions.isEmpty else { throw SagaDefinitionError("state machine \(name) has no transitions") }
        var reached: Set<Entity.Status> = [initialStatus]
        var frontier = [initialStatus]
        while let status = frontier.popLast() {
            for transition in transitions where transition.from == status && !reached.contains(transition.to) {
                reached.insert(transition.to)
                frontier.append(transition.to)
            }
        }
        let unreachable = Entity.Status.allCases.filter { !reached.contains($0) }
        guard unreachable.isEmpty else {
            throw SagaDefinitionError("state machine \(name): no transitions reach \(unreachable.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The first command transition named `command` from `entity`'s status whose guard holds.
    func commandTransition(for entity: Entity, command: StateMachineCommand) -> Transition? {
        transitions.first {
            $0.from == entity.status && $0.trigger == .command(command.name)
                && ($0.condition?.test(entity, command) ?? true)
        }
    }

    /// The command names accepted in `status`.
    func commands(in status: Entity.Status) -> [String] {
        transitions.compactMap { if $0.from == status, case .command(let name) = $0.trigger { name } else { nil } }
    }

    private mutating func add(_ transition: Transition) throws(SagaDefinitionError) {
        guard transition.from != transition.to else {
            throw SagaDefinitionError("transition \(transition.from.rawValue) → itself is not allowed")
        }
        guard !transitions.contains(where: { $0.from == transition.from && $0.to == transition.to && $0.trigger == transition.trigger })
        else {
            throw SagaDefinitionError("duplicate transition \(transition.from.rawValue) → \(transition.to.rawValue)")
        }
        transitions.append(transition)
    }
}

extension StateMachine {
    /// The worker transitions grouped by the status they leave, built once per processor so
    /// checking a worker's result looks at that status's transitions only.
    struct WorkerTransitions: Sendable {
        private let byStatus: [Entity.Status: [Transition]]

        init(_ machine: StateMachine) {
            byStatus = Dictionary(grouping: machine.transitions.filter { $0.trigger == .worker }, by: \.from)
        }

        /// Whether a worker may move an entity from `status` to `next`: a worker transition
        /// between the two statuses whose guard (if any) holds for `next`.
        func allow(from status: Entity.Status, to next: Entity) -> Bool {
            guard let candidates = byStatus[status] else { return false }
            for transition in candidates where transition.to == next.status {
                if transition.condition?.test(next, nil) ?? true { return true }
            }
            return false
        }
    }
}
