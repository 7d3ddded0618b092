public import Flowstate
public import Tracing

/// The orchestrator of a saga, as a topology.
///
/// It reads `saga.start.<saga>` (new instances) and `saga.reply.<saga>` (workers' replies),
/// keeps each instance in the `<saga>-instances` store keyed by transaction id, sends each
/// step's command to `saga.do.<suffix>` or `saga.undo.<suffix>`, schedules deferred retries
/// in durable timers, and publishes every history entry on `saga.events.<saga>`. A saga
/// whose compensation fails also goes to `saga.dlq.<saga>`. All of it is exactly-once: the
/// stored instance, the commands and the consumed reply commit together.
public struct SagaOrchestrator: Sendable {
    /// The saga run.
    public let definition: SagaDefinition

    /// How often each task recounts its instances per status for the
    /// `flowstate_status_entities{machine="<saga>"}` gauges (one scan of its instance store);
    /// `nil` turns the counting off. Default: 5 seconds.
    public var statusCountInterval: Duration? = .seconds(5)

    /// The tracer of the spans `saga <name> start`, `saga <name> step <key>` and the like, one
    /// per record or timer handled; `nil` (the default) uses the bootstrapped one, read when a
    /// task starts. With none bootstrapped, nothing is traced and no header is written.
    public var tracer: (any Tracer)?

    /// Creates the orchestrator of `definition`.
    public init(_ definition: SagaDefinition) { self.definition = definition }

    /// Every topic the orchestrator reads or writes.
    public var topics: [String] {
        [definition.startTopic, definition.replyTopic, definition.redriveTopic, definition.eventsTopic, definition.deadLetterTopic,
         definition.rejectionsTopic] + definition.steps.flatMap { $0.kind == .command ? [$0.doTopic, $0.undoTopic] : [$0.doTopic] }
    }

    /// Builds the orchestrator's topology.
    ///
    /// - Throws: ``TopologyError`` for a graph the engine rejects.
    ///
    /// - Parameter statusCounts: Where instances per status are counted (see ``addTo(_:statusCounts:)``).
    public func topology(statusCounts: StatusCounts? = nil) throws -> Topology {
        let builder = TopologyBuilder()
        addTo(builder, statusCounts: statusCounts)
        return try builder.build()
    }

    /// Adds the orchestrator's nodes and stores to `builder`.
    ///
    /// Every task counts its instances per ``SagaStatus`` every ``statusCountInterval`` into
    /// `statusCounts`.
    ///
    /// - Parameter statusCounts: The gauges; default: new ones labelled with the saga's name,
    ///   in the bootstrapped metrics system. Use one per saga per process.
    public func addTo(_ builder: TopologyBuilder, statusCounts: StatusCounts? = nil) {
        let definition = definition
        let name = definition.name
        let interval = statusCountInterval
        let tracer = tracer
        let census = interval.map { _ in
            StatusCensus(counts: statusCounts ?? StatusCounts(machine: name), statuses: SagaStatus.allCases.map(\.rawValue))
        }
        builder.processingErrorPolicy = .deadLetter
        builder.addStore(Stores.persistent(definition.instanceStore, key: .string, value: .json(SagaInstance.self)))
        builder.addStore(Stores.timers(definition.retryStore))
        let deadlines = definition.hasReplyTimeouts ? [definition.replyDeadlineStore] : []
        for store in deadlines { builder.addStore(Stores.timers(store)) }
        let start = "\(name)-start", reply = "\(name)-reply"
        builder.addSource("\(name)-starts", topics: [definition.startTopic], key: .string, value: .json(JSONObject.self))
            .process(start, stores: [definition.instanceStore] + deadlines) {
                SagaStartProcessor(core: SagaOrchestratorCore(definition, tracer: tracer))
            }
        builder.addSource("\(name)-replies", topics: [definition.replyTopic], key: .string, value: .json(SagaReply.self))
            .process(reply, stores: [definition.instanceStore, definition.retryStore] + deadlines) {
                SagaReplyProcessor(core: SagaOrchestratorCore(definition, tracer: tracer), census: census.map { ($0, interval!) })
            }
        let redrive = "\(name)-redrive"
        builder.addSource("\(name)-redrives", topics: [definition.redriveTopic], key: .string, value: .json(SagaRedrive.self))
            .process(redrive, stores: [definition.instanceStore] + deadlines) {
                SagaRedriveProcessor(core: SagaOrchestratorCore(definition, tracer: tracer))
            }
        let parents = [start, reply, redrive]
        for step in definition.steps {
            builder.addSink(SagaOrchestratorCore.sinkName(name, stepKey: step.key), topic: step.doTopic, parents: parents,
                            key: .string, value: .bytes)
            if step.kind == .command {
                builder.addSink(SagaOrchestratorCore.sinkName(name, stepKey: -step.key), topic: step.undoTopic,
                                parents: parents, key: .string, value: .bytes)
            }
        }
        builder.addSink("\(name)-to-events", topic: definition.eventsTopic, parents: parents, key: .string, value: .bytes)
        builder.addSink("\(name)-to-dlq", topic: definition.deadLetterTopic, parents: parents, key: .string, value: .bytes)
        builder.addSink("\(name)-to-rejections", topic: definition.rejectionsTopic, parents: parents, key: .string, value: .bytes)
    }
}

/// What the orchestrator's two processors share: reading and writing instances and turning
/// ``SagaOrchestration`` effects into records.
final class SagaOrchestratorCore {
    let definition: SagaDefinition
    let instanceJSON = JSONSerde<SagaInstance>()
    let commandJSON = JSONSerde<SagaCommand>()
    let eventJSON = JSONSerde<SagaEvent>()
    let rejectionJSON = JSONSerde<SagaRejection>()
    let tracing: RecordTracing

    init(_ definition: SagaDefinition, tracer: (any Tracer)?) {
        self.definition = definition
        self.tracing = RecordTracing(tracer)
    }

    static func sinkName(_ saga: String, stepKey: Int) -> String {
        stepKey > 0 ? "\(saga)-to-do-\(stepKey)" : "\(saga)-to-undo-\(-stepKey)"
    }

    func instances(_ context: ProcessorContext<String, [UInt8]>) throws -> KeyValueStore<String, SagaInstance> {
        try context.keyValueStore(definition.instanceStore, key: String.self, value: SagaInstance.self)
    }

    /// Stores `instance` and sends what `effects` say, every record carrying `trace` (which the
    /// instance keeps, when set).
    func write(_ instance: SagaInstance, _ effects: SagaOrchestration.Effects, timers: SagaTimers, trace: TraceContextHeaders?,
               context: ProcessorContext<String, [UInt8]>) throws {
        let now = context.wallClockTime
        let key = instance.transactionID
        var instance = instance
        if let trace { instance.trace = trace }
        let headers = trace?.headers ?? []
        try instances(context).put(key, instance)
        for command in effects.commands {
            try context.forward(Record(key: key, value: commandJSON.serialize(command), timestamp: now, headers: headers),
                                to: Self.sinkName(definition.name, stepKey: command.stepKey))
        }
        for entry in effects.events {
            let event = SagaEvent(transactionID: key, saga: definition.name, event: entry.event, stepKey: entry.stepKey,
                                  status: entry.status, at: entry.at, detail: entry.detail)
            try context.forward(Record(key: key, value: eventJSON.serialize(event), timestamp: now, headers: headers),
                                to: "\(definition.name)-to-events")
        }
        if let retry = effects.retry {
            guard let retries = timers.retries else { throw SagaDefinitionError("a retry was scheduled outside the reply processor") }
            try retries.schedule(key: key, at: retry.dueTime, payload: SagaRetryTimer(stepKey: retry.stepKey, attempt: retry.attempt))
        }
        if let deadlines = timers.deadlines {
            if effects.replied { try deadlines.cancel(key: key) }
            if let deadline = effects.replyDeadline {
                try deadlines.schedule(key: key, at: deadline.dueTime,
                                       payload: SagaRetryTimer(stepKey: deadline.stepKey, attempt: deadline.attempt))
            }
        }
        if effects.deadLettered {
            try context.forward(Record(key: key, value: instanceJSON.serialize(instance), timestamp: now, headers: headers),
                                to: "\(definition.name)-to-dlq")
        }
    }

    /// The reply deadlines, to schedule (the reply processor fires them); `nil` when no step has
    /// a reply timeout.
    func replyDeadlines(_ context: ProcessorContext<String, [UInt8]>) throws -> DurableTimers<String, SagaRetryTimer>? {
        guard definition.hasReplyTimeouts else { return nil }
        return try context.durableTimers(definition.replyDeadlineStore, key: String.self, payload: SagaRetryTimer.self)
    }

    func reject(_ transactionID: String, received: String, reason: String, trace: TraceContextHeaders? = nil,
                context: ProcessorContext<String, [UInt8]>) throws {
        let rejection = SagaRejection(transactionID: transactionID, received: received, reason: reason, at: context.wallClockTime)
        try context.forward(Record(key: transactionID, value: rejectionJSON.serialize(rejection), timestamp: context.wallClockTime,
                                   headers: trace?.headers ?? []),
                            to: "\(definition.name)-to-rejections")
    }
}

/// Creates instances from `saga.start.<saga>`.
struct SagaStartProcessor: Processor {
    let core: SagaOrchestratorCore
    private var deadlines: DurableTimers<String, SagaRetryTimer>?

    init(core: SagaOrchestratorCore) { self.core = core }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws { deadlines = try core.replyDeadlines(context) }

    func process(_ record: Record<String, JSONObject>, context: ProcessorContext<String, [UInt8]>) throws {
        try core.tracing.span("saga \(core.definition.name) start",
                              parent: TraceContextHeaders(headers: record.headers)) { trace in
            try start(record, trace: trace, context: context)
        }
    }

    private func start(_ record: Record<String, JSONObject>, trace: TraceContextHeaders?,
                       context: ProcessorContext<String, [UInt8]>) throws {
        let transactionID = record.key
        guard !transactionID.isEmpty else {
            return try core.reject(transactionID, received: "start", reason: "the transaction id (record key) is empty", trace: trace,
                                   context: context)
        }
        if let existing = try core.instances(context).get(transactionID) {
            return try core.reject(transactionID, received: "start",
                                   reason: "saga \(transactionID) already exists (\(existing.status.rawValue))", trace: trace,
                                   context: context)
        }
        let orchestration = SagaOrchestration(definition: core.definition, now: context.wallClockTime)
        let (instance, effects) = orchestration.start(transactionID: transactionID, entity: record.value)
        try core.write(instance, effects, timers: SagaTimers(retries: nil, deadlines: deadlines), trace: trace, context: context)
    }
}

/// Resumes sagas whose compensation failed, from `saga.redrive.<saga>`; anything else is
/// rejected with the reason.
struct SagaRedriveProcessor: Processor {
    let core: SagaOrchestratorCore
    private var deadlines: DurableTimers<String, SagaRetryTimer>?

    init(core: SagaOrchestratorCore) { self.core = core }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws { deadlines = try core.replyDeadlines(context) }

    func process(_ record: Record<String, SagaRedrive>, context: ProcessorContext<String, [UInt8]>) throws {
        let received = "redrive by \(record.value.actor)"
        guard !record.value.actor.isEmpty else {
            return try core.reject(record.key, received: received, reason: "a re-drive names its actor", context: context)
        }
        guard let instance = try core.instances(context).get(record.key) else {
            return try core.reject(record.key, received: received, reason: "unknown saga \(record.key)", context: context)
        }
        try core.tracing.span("saga \(core.definition.name) redrive",
                              parent: instance.trace ?? TraceContextHeaders(headers: record.headers)) { trace in
            switch SagaOrchestration(definition: core.definition, now: context.wallClockTime).redrive(instance, by: record.value.actor) {
            case .success(let (resumed, effects)):
                try core.write(resumed, effects, timers: SagaTimers(retries: nil, deadlines: deadlines), trace: trace, context: context)
            case .failure(let refusal):
                try core.reject(record.key, received: received, reason: refusal.reason, trace: trace, context: context)
            }
        }
    }
}

/// Applies workers' replies from `saga.reply.<saga>` and fires deferred retries.
struct SagaReplyProcessor: Processor {
    let core: SagaOrchestratorCore
    var timers = SagaTimers(retries: nil, deadlines: nil)
    /// The status census and its interval, when counting is on.
    let census: (StatusCensus, Duration)?
    private var share: StatusCensusShare?

    init(core: SagaOrchestratorCore, census: (StatusCensus, Duration)? = nil) {
        self.core = core
        self.census = census
    }

    func close() { share?.withdraw() }

    mutating func initialize(context: ProcessorContext<String, [UInt8]>) throws {
        let core = core
        if let (census, interval) = census {
            let instances = try core.instances(context)
            share = try StatusCensusShare(census: census, interval: interval, context: context) {
                var tally: [String: Int] = [:]
                for (_, instance) in try instances.all() { tally[instance.status.rawValue, default: 0] += 1 }
                return tally
            }
        }
        let box = TimersBox()
        timers.retries = try context.durableTimers(core.definition.retryStore, key: String.self, payload: SagaRetryTimer.self,
                                                   checkEvery: core.definition.retryCheckInterval) { timer in
            guard let instance = try core.instances(context).get(timer.key) else { return }
            let orchestration = SagaOrchestration(definition: core.definition, now: context.wallClockTime)
            guard let (retried, effects) = orchestration.retry(instance, stepKey: timer.payload.stepKey,
                                                               attempt: timer.payload.attempt) else { return }
            let step = timer.payload.stepKey
            try core.tracing.span("saga \(core.definition.name) retry step \(step)", parent: instance.trace) { trace in
                try core.write(retried, effects, timers: box.timers, trace: trace, context: context)
            }
        }
        if core.definition.hasReplyTimeouts {
            // A reply that has not come by its deadline counts as a retryable failure.
            timers.deadlines = try context.durableTimers(core.definition.replyDeadlineStore, key: String.self,
                                                         payload: SagaRetryTimer.self,
                                                         checkEvery: core.definition.retryCheckInterval) { timer in
                guard let instance = try core.instances(context).get(timer.key) else { return }
                let orchestration = SagaOrchestration(definition: core.definition, now: context.wallClockTime)
                guard let (failed, effects) = orchestration.replyMissed(instance, stepKey: timer.payload.stepKey,
                                                                        attempt: timer.payload.attempt) else { return }
                let step = timer.payload.stepKey
                try core.tracing.span("saga \(core.definition.name) reply missed step \(step)",
                                      parent: instance.trace) { trace in
                    try core.write(failed, effects, timers: box.timers, trace: trace, context: context)
                }
            }
        }
        box.timers = timers
    }

    func process(_ record: Record<String, SagaReply>, context: ProcessorContext<String, [UInt8]>) throws {
        let reply = record.value
        let received = "reply \(reply.stepKey) attempt \(reply.attempt)"
        guard let instance = try core.instances(context).get(record.key) else {
            return try core.reject(record.key, received: received, reason: "unknown saga \(record.key)", context: context)
        }
        let orchestration = SagaOrchestration(definition: core.definition, now: context.wallClockTime)
        if let reason = orchestration.staleness(of: reply, for: instance) {
            return try core.reject(record.key, received: received, reason: reason, context: context)
        }
        try core.tracing.span("saga \(core.definition.name) step \(reply.stepKey)",
                              parent: TraceContextHeaders(headers: record.headers) ?? instance.trace) { trace in
            let (next, effects) = orchestration.apply(reply, to: instance)
            try core.write(next, effects, timers: timers, trace: trace, context: context)
        }
    }
}

/// Lets the timer callbacks reach the timers they are registered with.
private final class TimersBox {
    var timers = SagaTimers(retries: nil, deadlines: nil)
}

/// The orchestrator's durable timers a processor holds: deferred retries (the reply
/// processor only) and reply deadlines (when a step has a reply timeout).
struct SagaTimers {
    var retries: DurableTimers<String, SagaRetryTimer>?
    var deadlines: DurableTimers<String, SagaRetryTimer>?
}
