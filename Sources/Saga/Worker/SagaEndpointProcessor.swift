import Flowstate

/// Runs the endpoint of a command's topic off the stream thread, with immediate retries, and
/// replies to the saga.
struct SagaEndpointProcessor: Processor {
    let worker: String
    let sagas: Set<String>
    let routes: [String: SagaEndpointRoute]
    let tracing: RecordTracing

    init(worker: String, sagas: [String], routes: [SagaEndpointRoute], tracing: RecordTracing) {
        self.worker = worker
        self.tracing = tracing
        self.sagas = Set(sagas)
        self.routes = Dictionary(routes.map { ($0.topic, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func sinkName(_ saga: String) -> String { "reply-\(saga)" }

    func process(_ record: Record<String, SagaCommand>, context: ProcessorContext<String, SagaReply>) throws {
        let command = record.value
        guard let topic = context.recordMetadata?.topic, let route = routes[topic] else {
            throw SagaDefinitionError("worker \(worker) has no endpoint for \(context.recordMetadata?.topic ?? "this record")")
        }
        guard command.action == route.action else {
            throw SagaDefinitionError("a \(command.action.rawValue) command arrived on \(topic)")
        }
        guard sagas.contains(command.saga) else {
            throw SagaDefinitionError("worker \(worker) does not serve saga \(command.saga) (serves \(sagas.sorted().joined(separator: ", ")))")
        }
        // One execution per saga transaction at a time; other transactions' run meanwhile.
        try context.order(by: command.transactionID)
        let span = tracing.start("endpoint \(route.topic)", parent: TraceContextHeaders(headers: record.headers))
        do {
            try execute(command, route: route, retryCount: 0, span: span, context: context)
        } catch {
            span?.recordError(error)
            span?.end()
            throw error
        }
    }

    /// Runs the body off the stream thread; replies once it succeeds, fails for good, or its
    /// immediate retries (each after the policy's backoff, on a timer) run out.
    /// `span`, when tracing is on, ends with the reply, which carries its trace context.
    func execute(_ command: SagaCommand, route: SagaEndpointRoute, retryCount: Int, span: RecordSpan?,
                 context: ProcessorContext<String, SagaReply>) throws {
        let execution = SagaExecution(
            transactionID: command.transactionID, idempotencyKey: command.idempotencyKey, action: command.action,
            stepKey: command.stepKey, entity: command.entity, hints: command.hints, errorContext: command.errorContext,
            retryContext: SagaRetryContext(retryCount: retryCount, attempt: command.attempt))
        let body = route.body, backoff = route.retry.backoff
        try context.suspend(route.topic, timeout: route.timeout, {
            if retryCount > 0, backoff > .zero { try await Task.sleep(for: backoff) }
            var execution = execution
            try await body(&execution)
            return execution
        }, then: { result in
            guard let reply = Self.reply(to: command, route: route, retryCount: retryCount, result: result) else {
                return try execute(command, route: route, retryCount: retryCount + 1, span: span, context: context)
            }
            defer { span?.end() }
            if let span, case .failure(let error) = result { span.recordError(error) }
            try context.forward(Record(key: command.transactionID, value: reply, timestamp: context.wallClockTime,
                                       headers: span?.trace?.headers ?? []),
                                to: Self.sinkName(command.saga))
        })
    }

    /// The reply to an execution's result, or `nil` when it is retried immediately.
    static func reply(to command: SagaCommand, route: SagaEndpointRoute, retryCount: Int,
                      result: Result<SagaExecution, any Error>) -> SagaReply? {
        var reply = SagaReply(transactionID: command.transactionID, saga: command.saga, stepKey: command.stepKey,
                              action: command.action, idempotencyKey: command.idempotencyKey, attempt: command.attempt,
                              outcome: .success, entity: nil, hints: nil, errorContext: [:], message: nil,
                              immediateRetries: retryCount)
        let retriesLeft = retryCount + 1 < route.retry.maxAttempts
        switch result {
        case .success(let done):
            if command.action == .do { reply.entity = done.entity } else { reply.hints = done.hints }
        case .failure(let error as SagaEndpointError):
            reply.message = error.message
            switch error.kind {
            case .immediatelyRetryable where retriesLeft:
                return nil
            case .immediatelyRetryable, .retryable:
                reply.outcome = .retryable
            case .nonRetryable:
                reply.outcome = .nonRetryable
                reply.errorContext = error.context
            }
        case .failure(let timeout as CallTimeout):
            // A call that took too long may still have happened: retry it, under its idempotency key.
            guard !retriesLeft else { return nil }
            reply.outcome = .retryable
            reply.message = timeout.description
        case .failure(let error):
            reply.outcome = .unhandled
            reply.message = String(describing: error)
        }
        return reply
    }
}
