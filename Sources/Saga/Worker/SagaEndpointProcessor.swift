import Flowstate
import Foundation

/// Runs the endpoint of a command's topic, with immediate retries, and replies to the saga.
struct SagaEndpointProcessor: Processor {
    let worker: String
    let sagas: Set<String>
    let routes: [String: SagaEndpointRoute]

    init(worker: String, sagas: [String], routes: [SagaEndpointRoute]) {
        self.worker = worker
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
        let reply = execute(command, route: route)
        try context.forward(Record(key: command.transactionID, value: reply, timestamp: context.wallClockTime),
                            to: Self.sinkName(command.saga))
    }

    /// Runs the body until it succeeds, fails for good, or its immediate retries run out.
    func execute(_ command: SagaCommand, route: SagaEndpointRoute) -> SagaReply {
        var reply = SagaReply(transactionID: command.transactionID, saga: command.saga, stepKey: command.stepKey,
                              action: command.action, idempotencyKey: command.idempotencyKey, attempt: command.attempt,
                              outcome: .success, entity: nil, hints: nil, errorContext: [:], message: nil, immediateRetries: 0)
        var retryCount = 0
        while true {
            let execution = SagaExecution(
                transactionID: command.transactionID, idempotencyKey: command.idempotencyKey, action: command.action,
                stepKey: command.stepKey, entity: command.entity, hints: command.hints, errorContext: command.errorContext,
                retryContext: SagaRetryContext(retryCount: retryCount, attempt: command.attempt))
            reply.immediateRetries = retryCount
            let body = route.body
            do {
                let done = try awaitOnCallerThread {
                    var execution = execution
                    try await body(&execution)
                    return execution
                }
                if command.action == .do { reply.entity = done.entity } else { reply.hints = done.hints }
                reply.outcome = .success
                return reply
            } catch let error as SagaEndpointError {
                reply.message = error.message
                switch error.kind {
                case .immediatelyRetryable where retryCount + 1 < route.retry.maxAttempts:
                    retryCount += 1
                    if route.retry.backoff > .zero { Thread.sleep(forTimeInterval: Double(route.retry.backoff.milliseconds) / 1000) }
                    continue
                case .immediatelyRetryable, .retryable:
                    reply.outcome = .retryable
                case .nonRetryable:
                    reply.outcome = .nonRetryable
                    reply.errorContext = error.context
                }
                return reply
            } catch {
                reply.outcome = .unhandled
                reply.message = String(describing: error)
                return reply
            }
        }
    }
}
