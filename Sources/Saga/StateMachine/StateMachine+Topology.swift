public import Flowstate

extension StateMachine {
    /// The store holding each entity by id.
    public var entityStore: String { "\(name)-entities" }
    /// The store holding each entity's ``LifecycleEvent``s, oldest first.
    public var historyStore: String { "\(name)-history" }
    /// The store mapping entity ids to partition keys, for routing commands.
    public var indexStore: String { "\(name)-index" }
    /// Where commands for manual steps are sent, keyed by entity id.
    public var commandsTopic: String { "\(name).commands" }
    /// Where rejected events and commands go, with the reason.
    public var rejectionsTopic: String { "\(name).rejections" }
    /// Internal: commands re-keyed by partition key.
    public var routedCommandsTopic: String { "\(name).routed-commands" }
    /// The store of commands that arrived before their entity's index entry.
    public var pendingCommandsStore: String { "\(name)-pending-commands" }
    /// Internal: entity id → partition key, written when an entity is created.
    public var indexTopic: String { "\(name).index" }
    /// Internal: entities whose worker's step is retried later, sent by the durable timers of
    /// the worker-retry store when due (keyed by partition key).
    public var workerRetriesTopic: String { "\(name).worker-retries" }
    /// The durable timers of workers' deferred retries, keyed by entity id.
    public var workerRetryStore: String { "\(name)-worker-retries" }
    /// The durable timers of timed transitions, keyed by entity id.
    public var timeoutStore: String { "\(name)-timeouts" }
    /// Every status topic, in status order.
    public var statusTopics: [String] { Entity.Status.allCases.map(topic(of:)) }
    /// Every topic the machine reads or writes.
    public var topics: [String] {
        statusTopics + [commandsTopic, rejectionsTopic, routedCommandsTopic, indexTopic, workerRetriesTopic]
    }
    /// The suffixes of the machine's own topics, which no status may take.
    static var reservedTopicSuffixes: Set<String> { ["commands", "rejections", "routed-commands", "index", "worker-retries"] }

    /// Builds the machine's topology (see ``addTo(_:)``).
    ///
    /// - Throws: ``SagaDefinitionError`` for an invalid machine, ``TopologyError`` for a
    ///   graph the engine rejects.
    ///
    /// - Parameter statusCounts: Where the entities per status are counted (see
    ///   ``addTo(_:statusCounts:)``).
    public func topology(statusCounts: StatusCounts? = nil) throws -> Topology {
        let builder = TopologyBuilder()
        try addTo(builder, statusCounts: statusCounts)
        return try builder.build()
    }

    /// Adds the machine to `builder`: two sub-topologies.
    ///
    /// - The machine, on the status topics and the routed commands (keyed by partition key):
    ///   runs the applicable worker on every entity that reaches a status, applies commands,
    ///   and emits each transition.
    /// - The command router, on `<name>.commands` and `<name>.index` (keyed by entity id):
    ///   looks up the entity's partition key and re-keys the command to it. A command that
    ///   arrives before its entity's index entry waits for it (``commandIndexWait``).
    ///
    /// A worker's step that fails is retried at once, then later through durable timers (the
    /// entity keeps its status; see ``StateWorker/deferredRetry``). Records that cannot be
    /// processed (undecodable JSON, a worker's non-retryable failure or retries spent) go to
    /// the dead-letter topic with the reason, and change nothing.
    ///
    /// Every task counts its entities per status every ``statusCountInterval`` into
    /// `statusCounts` (the `flowstate_status_entities{machine,status}` gauges of this process).
    /// The entity and history stores are keyed by entity id but partitioned by partition key:
    /// they declare the index store as their partitioner, so interactive queries find an
    /// entity's task from its id.
    ///
    /// - Parameter statusCounts: The gauges; default: new ones labelled with the machine's name,
    ///   in the bootstrapped metrics system. Use one per machine per process.
    /// - Throws: ``SagaDefinitionError`` for an invalid machine.
    public func addTo(_ builder: TopologyBuilder, statusCounts: StatusCounts? = nil) throws(SagaDefinitionError) {
        try validate()
        let machine = self
        let census = StatusCensus(counts: statusCounts ?? StatusCounts(machine: name), statuses: Entity.Status.allCases.map(\.rawValue))
        let pendingIDs = PendingCommandRegistry()
        builder.processingErrorPolicy = .deadLetter
        builder.addStore(Stores.persistent(entityStore, key: .string, value: .binary(Entity.self))
            .partitioned(byValueIn: indexStore))
        builder.addStore(Stores.persistent(historyStore, key: .string, value: LifecycleHistorySerde())
            .partitioned(byValueIn: indexStore))
        builder.addStore(Stores.persistent(indexStore, key: .string, value: .string))
        builder.addStore(Stores.persistent(pendingCommandsStore, key: .string, value: .binary([PendingCommand].self)))
        builder.addStore(Stores.timers(workerRetryStore))
        if hasTimedTransitions { builder.addStore(Stores.timers(timeoutStore)) }

        let transition = "\(name)-transition", apply = "\(name)-apply-command"
        let route = "\(name)-route-command", index = "\(name)-index-entity"
        builder.addSource("\(name)-statuses", topics: statusTopics + [workerRetriesTopic], key: .string, value: .json(Entity.self))
            .process(transition, stores: [entityStore, historyStore, workerRetryStore] + (hasTimedTransitions ? [timeoutStore] : [])) {
                EntityEventProcessor(machine: machine, census: census)
            }
        builder.addSource("\(name)-routed-commands", topics: [routedCommandsTopic], key: .string,
                          value: .json(StateMachineCommand.self))
            .process(apply, stores: [entityStore, historyStore] + (hasTimedTransitions ? [timeoutStore] : [])) {
                CommandProcessor(machine: machine)
            }
        builder.addSource("\(name)-commands", topics: [commandsTopic], key: .string, value: .json(StateMachineCommand.self))
            .process(route, stores: [indexStore, pendingCommandsStore]) { CommandRouter(machine: machine, registry: pendingIDs) }
        builder.addSource("\(name)-index", topics: [indexTopic], key: .string, value: .string)
            .process(index, stores: [indexStore, pendingCommandsStore]) { IndexProcessor(machine: machine, registry: pendingIDs) }

        for status in Entity.Status.allCases {
            builder.addSink(sinkName(status), topic: topic(of: status), parents: [transition, apply], key: .string, value: .bytes)
        }
        builder.addSink("\(name)-to-index", topic: indexTopic, parents: [transition], key: .string, value: .bytes)
        builder.addSink("\(name)-to-worker-retries", topic: workerRetriesTopic, parents: [transition, apply], key: .string,
                        value: .bytes)
        builder.addSink("\(name)-to-routed-commands", topic: routedCommandsTopic, parents: [route, index], key: .string, value: .bytes)
        builder.addSink("\(name)-to-rejections", topic: rejectionsTopic, parents: [transition, apply, route],
                        key: .string, value: .bytes)
    }

    func sinkName(_ status: Entity.Status) -> String { "\(name)-to-\(status.rawValue)" }
}
