import Flowstate

/// What every processor of a machine that changes entities shares: saving a transition and
/// rejecting input.
struct TransitionWriter<Entity: StateMachineEntity> {
    let machine: StateMachine<Entity>
    let entityJSON = JSONSerde<Entity>()
    let rejectionJSON = JSONSerde<StateMachineRejection>()
    let commandJSON = JSONSerde<StateMachineCommand>()

    /// The seed's `nextStep()`: save, append history, emit to the status topic.
    func nextStep(_ entity: Entity, actor: String, context: ProcessorContext<String, [UInt8]>) throws {
        let now = context.wallClockTime
        var entity = entity
        entity.recordTransition(at: now, by: actor)
        let entities = try context.keyValueStore(machine.entityStore, key: String.self, value: Entity.self)
        let history = try context.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self)
        try entities.put(entity.id, entity)
        var events = try history.get(entity.id) ?? []
        events.append(LifecycleEvent(status: entity.status.rawValue, at: now, actor: actor))
        try history.put(entity.id, events)
        try context.forward(Record(key: entity.partitionKey, value: entityJSON.serialize(entity), timestamp: now),
                            to: machine.sinkName(entity.status))
    }

    func reject(_ entityID: String, current: Entity.Status?, received: String, reason: String,
                context: ProcessorContext<String, [UInt8]>) throws {
        let rejection = StateMachineRejection(entityID: entityID, currentStatus: current?.rawValue, received: received,
                                              reason: reason, at: context.wallClockTime)
        try context.forward(Record(key: entityID, value: rejectionJSON.serialize(rejection), timestamp: context.wallClockTime),
                            to: "\(machine.name)-to-rejections")
    }
}

/// Handles an entity arriving on a status topic: creates it (initial status), checks it is
/// current, and runs the first applicable worker.
struct EntityEventProcessor<Entity: StateMachineEntity>: Processor {
    let writer: TransitionWriter<Entity>
    let census: StatusCensus?
    private var share: StatusCensusShare?

    init(machine: StateMachine<Entity>, census: StatusCensus? = nil) {
        writer = TransitionWriter(machine: machine)
        self.census = census
    }

    /// Joins the status census: the task's entities are counted per status now and on every
    /// ``StateMachine/statusCountInterval``.
    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws {
        guard let census, let interval = writer.machine.statusCountInterval else { return }
        let entities = try context.keyValueStore(writer.machine.entityStore, key: String.self, value: Entity.self)
        share = try StatusCensusShare(census: census, interval: interval, context: context) {
            var tally: [String: Int] = [:]
            for (_, entity) in try entities.all() { tally[entity.status.rawValue, default: 0] += 1 }
            return tally
        }
    }

    func close() { share?.withdraw() }

    func process(_ record: Record<String, Entity>, context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let incoming = record.value
        let entities = try context.keyValueStore(machine.entityStore, key: String.self, value: Entity.self)
        let received = "status \(incoming.status.rawValue)"
        let current: Entity
        if let stored = try entities.get(incoming.id) {
            guard stored.status == incoming.status else {
                return try writer.reject(incoming.id, current: stored.status, received: received,
                                         reason: "\(machine.name) \(incoming.id) is \(stored.status.rawValue), not \(incoming.status.rawValue)",
                                         context: context)
            }
            current = stored
        } else {
            guard incoming.status == machine.initialStatus else {
                return try writer.reject(incoming.id, current: nil, received: received,
                                         reason: "unknown \(machine.name) \(incoming.id): new entities start in \(machine.initialStatus.rawValue)",
                                         context: context)
            }
            try entities.put(incoming.id, incoming)
            let history = try context.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self)
            try history.put(incoming.id, [LifecycleEvent(status: incoming.status.rawValue, at: context.wallClockTime, actor: "external")])
            try context.forward(Record(key: incoming.id, value: Array(incoming.partitionKey.utf8), timestamp: context.wallClockTime),
                                to: "\(machine.name)-to-index")
            current = incoming
        }
        guard let worker = machine.workers.first(where: { $0.isApplicable(current) }) else { return }
        guard let next = try awaitOnCallerThread({ try await worker.process(current) }) else { return }
        guard next.id == current.id else {
            throw SagaDefinitionError("worker \(type(of: worker)) returned \(next.id) for \(current.id)")
        }
        guard machine.workerTransition(from: current.status, to: next) != nil else {
            throw SagaDefinitionError("worker \(type(of: worker)) moved \(current.id) from \(current.status.rawValue) to "
                                      + "\(next.status.rawValue), which no transition (or its guard) allows")
        }
        try writer.nextStep(next, actor: worker.actor, context: context)
    }
}

/// Applies a command (a manual step) routed to the entity's partition.
struct CommandProcessor<Entity: StateMachineEntity>: Processor {
    let writer: TransitionWriter<Entity>

    init(machine: StateMachine<Entity>) { writer = TransitionWriter(machine: machine) }

    func process(_ record: Record<String, StateMachineCommand>, context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let command = record.value
        let received = "command \(command.name)"
        let entities = try context.keyValueStore(machine.entityStore, key: String.self, value: Entity.self)
        guard let current = try entities.get(command.entityID) else {
            return try writer.reject(command.entityID, current: nil, received: received,
                                     reason: "unknown \(machine.name) \(command.entityID)", context: context)
        }
        guard let transition = machine.commandTransition(for: current, command: command) else {
            let accepted = machine.commands(in: current.status)
            return try writer.reject(command.entityID, current: current.status, received: received,
                                     reason: "\(command.name) is not valid when \(machine.name) is \(current.status.rawValue)"
                                     + (accepted.isEmpty ? "" : " (accepted: \(accepted.joined(separator: ", ")))"),
                                     context: context)
        }
        var next = current
        transition.update?(&next, command)
        next.status = transition.to
        try writer.nextStep(next, actor: command.actor, context: context)
    }
}

/// Routes a command keyed by entity id to the entity's partition key.
struct CommandRouter<Entity: StateMachineEntity>: Processor {
    let writer: TransitionWriter<Entity>

    init(machine: StateMachine<Entity>) { writer = TransitionWriter(machine: machine) }

    func process(_ record: Record<String, StateMachineCommand>, context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let index = try context.keyValueStore(machine.indexStore, key: String.self, value: String.self)
        guard let partitionKey = try index.get(record.value.entityID) else {
            return try writer.reject(record.value.entityID, current: nil, received: "command \(record.value.name)",
                                     reason: "unknown \(machine.name) \(record.value.entityID)", context: context)
        }
        try context.forward(Record(key: partitionKey, value: writer.commandJSON.serialize(record.value),
                                   timestamp: record.timestamp, headers: record.headers),
                            to: "\(machine.name)-to-routed-commands")
    }
}

/// Keeps the entity id → partition key index of the command router.
struct IndexProcessor<Entity: StateMachineEntity>: Processor {
    let machine: StateMachine<Entity>

    func process(_ record: Record<String, String>, context: ProcessorContext<String, [UInt8]>) throws {
        try context.keyValueStore(machine.indexStore, key: String.self, value: String.self).put(record.key, record.value)
    }
}
