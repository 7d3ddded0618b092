import Flowstate

/// What every processor of a machine that changes entities shares: saving a transition and
/// rejecting input.
struct TransitionWriter<Entity: StateMachineEntity> {
    let machine: StateMachine<Entity>
    let entityJSON = JSONSerde<Entity>()
    let rejectionJSON = JSONSerde<StateMachineRejection>()
    let commandJSON = JSONSerde<StateMachineCommand>()
    /// The sink of each status (by raw value), built once rather than per record.
    let sinkNames: [String: String]
    let rejectionsSink: String
    let tracing: RecordTracing
    /// The task's entity and history stores, looked up once in ``open(_:)``.
    private(set) var entities: KeyValueStore<String, Entity>?
    private(set) var history: KeyValueStore<String, [LifecycleEvent]>?
    /// The timed transition leaving each status (by raw value), and the timers that fire them
    /// (opened in ``open(_:)`` when the machine has timed transitions).
    let timed: [String: (to: Entity.Status, after: Duration)]
    private(set) var timeouts: DurableTimers<String, StatusTimeout>?

    init(machine: StateMachine<Entity>) {
        self.machine = machine
        sinkNames = Dictionary(uniqueKeysWithValues: Entity.Status.allCases.map { ($0.rawValue, machine.sinkName($0)) })
        rejectionsSink = "\(machine.name)-to-rejections"
        tracing = RecordTracing(machine.tracer)
        var timed: [String: (to: Entity.Status, after: Duration)] = [:]
        for status in Entity.Status.allCases { timed[status.rawValue] = machine.timedTransition(from: status) }
        self.timed = timed
    }

    /// Looks up the stores of the processor's task (its `initialize`).
    mutating func open(_ context: ProcessorContext<String, [UInt8]>) throws {
        entities = try context.keyValueStore(machine.entityStore, key: String.self, value: Entity.self)
        history = try context.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self)
        if !timed.isEmpty {
            timeouts = try context.durableTimers(machine.timeoutStore, key: String.self, payload: StatusTimeout.self)
        }
    }

    /// Schedules the timed transition leaving `entity`'s status (replacing the entity's earlier
    /// timer), or cancels the timer of the status it left (`left`) when that one had a timed
    /// transition and the new one has none; nothing otherwise, so most transitions touch no timer.
    /// `transitions`: the entity's history entries so far, which the timer checks when it fires.
    func scheduleTimeout(of entity: Entity, leaving left: String?, transitions: Int, now: Int64) throws {
        guard let timeouts else { return }
        guard let (_, after) = timed[entity.status.rawValue] else {
            if let left, timed[left] != nil { try timeouts.cancel(key: entity.id) }
            return
        }
        try timeouts.schedule(key: entity.id, at: now + after.milliseconds,
                              payload: StatusTimeout(status: entity.status.rawValue, transitions: transitions))
    }

    /// The entity store (looked up now if ``open(_:)`` was not called).
    func entityStore(_ context: ProcessorContext<String, [UInt8]>) throws -> KeyValueStore<String, Entity> {
        try entities ?? context.keyValueStore(machine.entityStore, key: String.self, value: Entity.self)
    }

    /// The history store (looked up now if ``open(_:)`` was not called).
    func historyStore(_ context: ProcessorContext<String, [UInt8]>) throws -> KeyValueStore<String, [LifecycleEvent]> {
        try history ?? context.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self)
    }

    /// The seed's `nextStep()`: save, append history, emit to the status topic.
    ///
    /// - Parameters:
    ///   - earlier: The entity's history before this step when the caller has it (an entity
    ///     created by this same record, not stored yet); else it is read from the store.
    ///   - trace: The trace context the emitted entity carries, when tracing is on.
    func nextStep(_ entity: Entity, actor: String, after earlier: [LifecycleEvent]? = nil, trace: TraceContextHeaders?,
                  context: ProcessorContext<String, [UInt8]>) throws {
        let now = context.wallClockTime
        var entity = entity
        entity.recordTransition(at: now, by: actor)
        let history = try historyStore(context)
        try entityStore(context).put(entity.id, entity)
        var events = try earlier ?? history.get(entity.id) ?? []
        let left = events.last?.status
        events.append(LifecycleEvent(status: entity.status.rawValue, at: now, actor: actor, trace: trace))
        try history.put(entity.id, events)
        try scheduleTimeout(of: entity, leaving: left, transitions: events.count, now: now)
        try context.forward(Record(key: entity.partitionKey, value: entityJSON.serialize(entity), timestamp: now,
                                   headers: trace?.headers ?? []),
                            to: sinkNames[entity.status.rawValue] ?? machine.sinkName(entity.status))
    }

    /// Sends `command` to the routed-commands topic keyed by the entity's partition key.
    func route(_ command: StateMachineCommand, to partitionKey: String, timestamp: Int64, headers: [KafkaHeader],
               context: ProcessorContext<String, [UInt8]>) throws {
        try context.forward(Record(key: partitionKey, value: commandJSON.serialize(command), timestamp: timestamp, headers: headers),
                            to: "\(machine.name)-to-routed-commands")
    }

    func reject(_ entityID: String, current: Entity.Status?, received: String, reason: String,
                context: ProcessorContext<String, [UInt8]>) throws {
        let rejection = StateMachineRejection(entityID: entityID, currentStatus: current?.rawValue, received: received,
                                              reason: reason, at: context.wallClockTime)
        try context.forward(Record(key: entityID, value: rejectionJSON.serialize(rejection), timestamp: context.wallClockTime),
                            to: rejectionsSink)
    }
}

/// Handles an entity arriving on a status topic: creates it (initial status), checks it is
/// current, and runs the first applicable worker; retries a failed step later through durable
/// timers that send the entity to `<machine>.worker-retries`, which it reads too.
struct EntityEventProcessor<Entity: StateMachineEntity>: Processor {
    var writer: TransitionWriter<Entity>
    let indexSink: String
    let retrySink: String
    let census: StatusCensus?
    private var share: StatusCensusShare?
    private var retries: DurableTimers<String, WorkerRetryTimer>?
    /// The machine's workers and worker transitions, read per record without copying the machine.
    private let workers: [BoundWorker<Entity>]
    private let workerTransitions: StateMachine<Entity>.WorkerTransitions

    init(machine: StateMachine<Entity>, census: StatusCensus? = nil) {
        writer = TransitionWriter(machine: machine)
        indexSink = "\(machine.name)-to-index"
        retrySink = "\(machine.name)-to-worker-retries"
        self.census = census
        workers = machine.workers.map { BoundWorker($0) }
        workerTransitions = .init(machine)
    }

    /// Opens the writer's stores and joins the status census: the task's entities are counted
    /// per status now and on every ``StateMachine/statusCountInterval``.
    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws {
        try writer.open(context)
        let writer = writer, retrySink = retrySink
        retries = try context.durableTimers(writer.machine.workerRetryStore, key: String.self, payload: WorkerRetryTimer.self,
                                            checkEvery: writer.machine.timerCheckInterval) { timer in
            // The entity as it is now; a retry whose entity has moved on meanwhile is dropped.
            guard let entity = try writer.entityStore(context).get(timer.key), entity.status.rawValue == timer.payload.status,
                  let history = try writer.historyStore(context).get(timer.key),
                  history.count == timer.payload.transitions else { return }
            // The retry continues the entity's trace (when tracing was on for its last transition).
            try context.forward(Record(key: entity.partitionKey, value: writer.entityJSON.serialize(entity),
                                       timestamp: context.wallClockTime,
                                       headers: [WorkerRetryHeader.header(timer.payload)] + (history.last?.trace?.headers ?? [])),
                                to: retrySink)
        }
        if !writer.timed.isEmpty {
            _ = try context.durableTimers(writer.machine.timeoutStore, key: String.self, payload: StatusTimeout.self,
                                          checkEvery: writer.machine.timerCheckInterval) { timer in
                // Exactly once, and only if the entity is still where the timer found it.
                guard var entity = try writer.entityStore(context).get(timer.key), entity.status.rawValue == timer.payload.status,
                      let history = try writer.historyStore(context).get(timer.key),
                      history.count == timer.payload.transitions,
                      let (to, _) = writer.timed[timer.payload.status] else { return }
                let from = timer.payload.status
                entity.status = to
                try writer.tracing.span("timeout \(writer.machine.name) \(from)", parent: history.last?.trace) { trace in
                    try writer.nextStep(entity, actor: "timeout", trace: trace, context: context)
                }
            }
        }
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
        // One record of an entity at a time, its worker's call included; other entities go on.
        try context.order(by: record.value.id)
        // The record's trace, else (an entity's record from outside) the entity's own.
        try writer.tracing.span("entity \(writer.machine.name) \(record.value.status.rawValue)",
                                parent: try TraceContextHeaders(headers: record.headers)
                                    ?? writer.historyStore(context).get(record.value.id)?.last?.trace) { trace in
            try handle(record, trace: trace, context: context)
        }
    }

    /// Handles an entity arriving on a status topic; the records it sends carry `trace`.
    private func handle(_ record: Record<String, Entity>, trace: TraceContextHeaders?,
                        context: ProcessorContext<String, [UInt8]>) throws {
        let incoming = record.value
        let entities = try writer.entityStore(context)
        var received: String { "status \(incoming.status.rawValue)" }
        let current: Entity
        // The history of an entity this record creates; it is stored with the entity's first
        // step (or alone when no worker moves it), so a new entity is written once.
        var created: [LifecycleEvent]?
        let retry = WorkerRetryHeader.retry(in: record.headers)
        if let retry {
            // A deferred retry: run the step again if the entity is where the failed try left it.
            guard let stored = try entities.get(incoming.id), stored.status == incoming.status,
                  let bound = applicableWorker(stored), let history = try writer.historyStore(context).get(stored.id),
                  history.count == retry.transitions else { return }
            return try run(bound, on: stored, created: nil, try: retry.try,
                           position: StepPosition(history), trace: trace, context: context)
        }
        if let stored = try entities.get(incoming.id) {
            guard stored.status == incoming.status else {
                let machine = writer.machine
                return try writer.reject(incoming.id, current: stored.status, received: received,
                                         reason: "\(machine.name) \(incoming.id) is \(stored.status.rawValue), not \(incoming.status.rawValue)",
                                         context: context)
            }
            current = stored
        } else {
            guard incoming.status == writer.machine.initialStatus else {
                let machine = writer.machine
                return try writer.reject(incoming.id, current: nil, received: received,
                                         reason: "unknown \(machine.name) \(incoming.id): new entities start in \(machine.initialStatus.rawValue)",
                                         context: context)
            }
            created = [LifecycleEvent(status: incoming.status.rawValue, at: context.wallClockTime, actor: "external", trace: trace)]
            try context.forward(Record(key: incoming.id, value: Array(incoming.partitionKey.utf8), timestamp: context.wallClockTime),
                                to: indexSink)
            current = incoming
        }
        guard let bound = applicableWorker(current) else { return try store(created, of: incoming, context: context) }
        let history = try created ?? writer.historyStore(context).get(current.id) ?? []
        try run(bound, on: current, created: created, try: WorkerTry(), position: StepPosition(history), trace: trace,
                context: context)
    }

    /// Runs a worker's step: a synchronous one here, an asynchronous one as a call.
    private func run(_ bound: BoundWorker<Entity>, on current: Entity, created: [LifecycleEvent]?, try this: WorkerTry,
                     position: StepPosition, trace: TraceContextHeaders?, context: ProcessorContext<String, [UInt8]>) throws {
        guard let synchronous = bound.synchronous else {
            return try call(bound, on: current, created: created, idempotencyKey: idempotencyKey(current, position: position),
                            try: this, position: position, trace: trace, context: context)
        }
        let next: Entity?
        do { next = try synchronous(current) } catch {
            return try failed(this, with: error, of: bound, on: current, created: created, position: position, trace: trace,
                              context: context)
        }
        try apply(next, of: bound, to: current, created: created, trace: trace, context: context)
    }

    /// `<machine>/<id>/<status>/<transitions so far>`: the same for every try of one transition's
    /// step, re-drives included.
    private func idempotencyKey(_ entity: Entity, position: StepPosition) -> String {
        "\(writer.machine.name)/\(entity.id)/\(entity.status.rawValue)/\(position.transitions)"
    }

    /// Runs an asynchronous worker's step off the stream thread; applies its result, or retries
    /// as ``WorkerTry/next(after:worker:entityID:immediate:deferred:)`` says. Each try is a span
    /// `worker <name>`, child of `trace`, when tracing is on.
    private func call(_ bound: BoundWorker<Entity>, on current: Entity, created: [LifecycleEvent]?, idempotencyKey: String,
                      try this: WorkerTry, position: StepPosition, trace: TraceContextHeaders?,
                      context: ProcessorContext<String, [UInt8]>) throws {
        let process = bound.process, backoff = bound.retry.backoff
        let span = writer.tracing.start("worker \(bound.name)", parent: trace)
        try context.suspend(bound.name, timeout: bound.timeout, {
            if this.inRound > 1, backoff > .zero { try await Task.sleep(for: backoff) }
            return try await StateWorkerCall.$idempotencyKey.withValue(idempotencyKey) {
                try await StateWorkerCall.$attempt.withValue(this.attempt) { try await process(current) }
            }
        }, then: { result in
            defer { span?.end() }
            if case .failure(let error) = result { span?.recordError(error) }
            // A timed transition may have moved the entity while the call ran (timers fire
            // outside the entity's key order): the step's result no longer applies.
            guard try created != nil || isStill(current, after: position.entries, context: context) else { return }
            switch result {
            case .success(let next):
                try apply(next, of: bound, to: current, created: created, trace: span?.trace ?? trace, context: context)
            case .failure(let error):
                try failed(this, with: error, of: bound, on: current, created: created, position: position, trace: trace,
                           context: context)
            }
        })
    }

    /// Whether the stored entity is still in `entity`'s status after `transitions` history entries.
    private func isStill(_ entity: Entity, after transitions: Int, context: ProcessorContext<String, [UInt8]>) throws -> Bool {
        guard writer.timeouts != nil else { return true }
        return try writer.entityStore(context).get(entity.id)?.status == entity.status
            && writer.historyStore(context).get(entity.id)?.count == transitions
    }

    /// After a failed try: runs the step again now, schedules a deferred retry (storing an
    /// entity this record created, so the retry finds it), or throws to dead-letter the record.
    private func failed(_ this: WorkerTry, with error: any Error, of bound: BoundWorker<Entity>, on current: Entity,
                        created: [LifecycleEvent]?, position: StepPosition, trace: TraceContextHeaders?,
                        context: ProcessorContext<String, [UInt8]>) throws {
        switch this.next(after: error, worker: bound.name, entityID: current.id,
                         immediate: bound.synchronous == nil ? bound.retry : nil, deferred: bound.deferredRetry) {
        case .now(let next):
            try call(bound, on: current, created: created, idempotencyKey: idempotencyKey(current, position: position),
                     try: next, position: position, trace: trace, context: context)
        case .later(let next, let delay):
            guard let retries else { throw SagaDefinitionError("\(writer.machine.name) worker retries were not initialised") }
            try store(created, of: current, context: context)
            try retries.schedule(key: current.id, at: context.wallClockTime + delay,
                                 payload: WorkerRetryTimer(status: current.status.rawValue, transitions: position.entries,
                                                           attempt: next.attempt, round: next.round))
        case .deadLetter(let reason):
            throw SagaDefinitionError(reason)
        }
    }

    /// Saves the worker's next step (or, when it has none, an entity this record created).
    private func apply(_ next: Entity?, of bound: BoundWorker<Entity>, to current: Entity, created: [LifecycleEvent]?,
                       trace: TraceContextHeaders?, context: ProcessorContext<String, [UInt8]>) throws {
        guard let next else { return try store(created, of: current, context: context) }
        guard next.id == current.id else {
            throw SagaDefinitionError("worker \(type(of: bound.worker)) returned \(next.id) for \(current.id)")
        }
        guard workerTransitions.allow(from: current.status, to: next) else {
            throw SagaDefinitionError("worker \(type(of: bound.worker)) moved \(current.id) from \(current.status.rawValue) to "
                                      + "\(next.status.rawValue), which no transition (or its guard) allows")
        }
        try writer.nextStep(next, actor: bound.actor, after: created, trace: trace, context: context)
    }

    /// Stores an entity this record created (with its first history entry); nothing otherwise.
    private func store(_ created: [LifecycleEvent]?, of entity: Entity, context: ProcessorContext<String, [UInt8]>) throws {
        guard let created else { return }
        try writer.entityStore(context).put(entity.id, entity)
        try writer.historyStore(context).put(entity.id, created)
        try writer.scheduleTimeout(of: entity, leaving: nil, transitions: created.count, now: context.wallClockTime)
    }

    /// The first worker applicable to `entity`.
    private func applicableWorker(_ entity: Entity) -> BoundWorker<Entity>? {
        for bound in workers where bound.isApplicable(entity) { return bound }
        return nil
    }
}

/// Applies a command (a manual step) routed to the entity's partition, or re-drives the
/// entity's step (``StateMachine/redriveCommand``).
struct CommandProcessor<Entity: StateMachineEntity>: Processor {
    var writer: TransitionWriter<Entity>
    private let workers: [BoundWorker<Entity>]

    init(machine: StateMachine<Entity>) {
        writer = TransitionWriter(machine: machine)
        workers = machine.workers.map { BoundWorker($0) }
    }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws { try writer.open(context) }

    func process(_ record: Record<String, StateMachineCommand>, context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let command = record.value
        // After every earlier record of the entity, its worker's call included.
        try context.order(by: command.entityID)
        // The entity's trace, so that its whole life is one trace, linked to the command's own;
        // the command's own for an entity with no trace yet.
        try writer.tracing.span("command \(machine.name) \(command.name)",
                                parent: try writer.historyStore(context).get(command.entityID)?.last?.trace
                                    ?? TraceContextHeaders(headers: record.headers),
                                link: TraceContextHeaders(headers: record.headers)) { trace in
            try apply(command, trace: trace, context: context)
        }
    }

    /// Applies `command` to its entity; the records it sends carry `trace`.
    private func apply(_ command: StateMachineCommand, trace: TraceContextHeaders?,
                       context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let received = "command \(command.name)"
        guard let current = try writer.entityStore(context).get(command.entityID) else {
            return try writer.reject(command.entityID, current: nil, received: received,
                                     reason: "unknown \(machine.name) \(command.entityID)", context: context)
        }
        if command.name == StateMachine<Entity>.redriveCommand { return try redrive(current, by: command.actor, trace: trace, context: context) }
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
        try writer.nextStep(next, actor: command.actor, trace: trace, context: context)
    }

    /// Runs the entity's step again (after its record was dead-lettered, say): a history entry
    /// repeating its status names the actor, and the entity goes to the worker-retries topic as a
    /// fresh round of tries, keeping the step's idempotency key.
    private func redrive(_ current: Entity, by actor: String, trace: TraceContextHeaders?,
                         context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        guard workers.contains(where: { $0.isApplicable(current) }) else {
            return try writer.reject(current.id, current: current.status, received: "command \(StateMachine<Entity>.redriveCommand)",
                                     reason: "nothing to re-drive: \(machine.name) \(current.id) is \(current.status.rawValue), "
                                     + "which no worker handles", context: context)
        }
        let now = context.wallClockTime
        let history = try writer.historyStore(context)
        var events = try history.get(current.id) ?? []
        events.append(LifecycleEvent(status: current.status.rawValue, at: now, actor: actor, trace: trace))
        try history.put(current.id, events)
        let retry = WorkerRetryTimer(status: current.status.rawValue, transitions: events.count, attempt: 1, round: 1)
        try context.forward(Record(key: current.partitionKey, value: writer.entityJSON.serialize(current), timestamp: now,
                                   headers: [WorkerRetryHeader.header(retry)] + (trace?.headers ?? [])),
                            to: "\(machine.name)-to-worker-retries")
    }
}

/// A command that arrived before its entity's index entry, waiting for it.
struct PendingCommand: Codable, Sendable, Hashable {
    var command: StateMachineCommand
    var timestamp: Int64
    var headers: [PendingHeader]
    /// When it arrived (wall clock, milliseconds).
    var receivedAt: Int64
}

/// A record header of a pending command.
struct PendingHeader: Codable, Sendable, Hashable {
    var key: String
    var value: [UInt8]?
}

/// Routes a command keyed by entity id to the entity's partition key.
///
/// The router's task reads the commands and the index topics independently, so a command sent
/// as soon as its entity appears (an approval of a statement just waiting for it) can arrive
/// before the entity's index entry. Such a command waits in the pending-commands store until
/// the entry arrives (``IndexProcessor`` routes it then) or ``StateMachine/commandIndexWait``
/// passes (it is rejected as for an unknown entity).
struct CommandRouter<Entity: StateMachineEntity>: Processor {
    let writer: TransitionWriter<Entity>
    let registry: PendingCommandRegistry
    /// The task's pending-commands store and the ids it holds, opened in `initialize`.
    private var pending: (store: KeyValueStore<String, [PendingCommand]>, ids: PendingCommandIDs)?

    init(machine: StateMachine<Entity>, registry: PendingCommandRegistry) {
        writer = TransitionWriter(machine: machine)
        self.registry = registry
    }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws {
        let writer = writer
        let machine = writer.machine
        let wait = machine.commandIndexWait.milliseconds
        let pending = try context.keyValueStore(machine.pendingCommandsStore, key: String.self, value: [PendingCommand].self)
        let ids = try registry.open(pending)
        self.pending = (pending, ids)
        context.schedule(every: .milliseconds(max(100, min(1_000, wait))), .wallClockTime) { now in
            var emptied: [String] = []
            for (entityID, commands) in try pending.all() {
                let expired = commands.filter { now - $0.receivedAt >= wait }
                guard !expired.isEmpty else { continue }
                for command in expired {
                    try writer.reject(entityID, current: nil, received: "command \(command.command.name)",
                                      reason: "unknown \(machine.name) \(entityID)", context: context)
                }
                let waiting = commands.filter { now - $0.receivedAt < wait }
                if waiting.isEmpty {
                    try pending.delete(entityID)
                    emptied.append(entityID)
                } else {
                    try pending.put(entityID, waiting)
                }
            }
            ids.remove(emptied)
        }
    }

    func close() {
        if let pending { registry.close(pending.store) }
    }

    func process(_ record: Record<String, StateMachineCommand>, context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let index = try context.keyValueStore(machine.indexStore, key: String.self, value: String.self)
        guard let partitionKey = try index.get(record.value.entityID) else {
            guard let (pending, ids) = pending else {
                throw SagaDefinitionError("\(machine.name) command router was not initialised")
            }
            let waiting = PendingCommand(command: record.value, timestamp: record.timestamp,
                                         headers: record.headers.map { PendingHeader(key: $0.key, value: $0.value) },
                                         receivedAt: context.wallClockTime)
            ids.insert(record.value.entityID)
            return try pending.put(record.value.entityID, (try pending.get(record.value.entityID) ?? []) + [waiting])
        }
        try writer.route(record.value, to: partitionKey, timestamp: record.timestamp, headers: record.headers, context: context)
    }
}

/// Keeps the entity id → partition key index of the command router, and routes the commands
/// that were waiting for the entry.
struct IndexProcessor<Entity: StateMachineEntity>: Processor {
    let writer: TransitionWriter<Entity>
    let registry: PendingCommandRegistry
    /// The task's index and pending-commands stores and the ids of the entities with pending
    /// commands, opened in `initialize`.
    private var stores: (index: KeyValueStore<String, String>, pending: KeyValueStore<String, [PendingCommand]>,
                         pendingIDs: PendingCommandIDs)?

    init(machine: StateMachine<Entity>, registry: PendingCommandRegistry) {
        writer = TransitionWriter(machine: machine)
        self.registry = registry
    }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws {
        let machine = writer.machine
        let pending = try context.keyValueStore(machine.pendingCommandsStore, key: String.self, value: [PendingCommand].self)
        stores = (try context.keyValueStore(machine.indexStore, key: String.self, value: String.self),
                  pending, try registry.open(pending))
    }

    func close() {
        if let stores { registry.close(stores.pending) }
    }

    func process(_ record: Record<String, String>, context: ProcessorContext<String, [UInt8]>) throws {
        guard let (index, pending, pendingIDs) = stores else {
            throw SagaDefinitionError("\(writer.machine.name) index processor was not initialised")
        }
        try index.put(record.key, record.value)
        guard pendingIDs.mayHold(record.key), let waiting = try pending.get(record.key) else { return }
        try pending.delete(record.key)
        for command in waiting {
            try writer.route(command.command, to: record.value, timestamp: command.timestamp,
                             headers: command.headers.map { KafkaHeader(key: $0.key, value: $0.value) }, context: context)
        }
        // Last, so a failure above (which undoes the delete) leaves the id in place.
        pendingIDs.remove(CollectionOfOne(record.key))
    }
}
