/// The orchestrator's rules, as pure functions of an instance and an input: what to store,
/// which commands to send, which retry to schedule. The processors only move the results
/// in and out of Kafka, so the rules are testable alone.
struct SagaOrchestration {
    let definition: SagaDefinition
    let now: Int64

    /// What an input leads to besides the new instance.
    struct Effects {
        var commands: [SagaCommand] = []
        /// A deferred retry to schedule: due time and the execution to resend.
        var retry: (dueTime: Int64, stepKey: Int, attempt: Int)?
        /// The history entries added (each is also an event).
        var events: [SagaHistoryEntry] = []
        /// Set when compensation failed: the saga goes to the dead-letter topic.
        var deadLettered = false
        /// The deadline of the reply to the execution just sent (a step with a reply timeout).
        var replyDeadline: (dueTime: Int64, stepKey: Int, attempt: Int)?
        /// Set when a reply (or its timeout) was applied: the execution's deadline is void.
        var replied = false
    }

    /// Starts a saga: status started, then the first step's command.
    func start(transactionID: String, entity: JSONObject) -> (SagaInstance, Effects) {
        var instance = SagaInstance(
            transactionID: transactionID, saga: definition.name, status: .started, currentStepKey: definition.steps[0].key,
            attempt: 1, entity: entity, hints: [:], errorContext: [:], failure: nil, completedCommandSteps: [],
            pendingCompensations: [], retries: 0, history: [])
        var effects = Effects()
        record(&instance, &effects, "started", step: nil, status: .started)
        send(&instance, &effects, stepKey: definition.steps[0].key, attempt: 1)
        return (instance, effects)
    }

    /// Why `reply` does not belong to `instance`'s execution in flight, or `nil` if it does.
    func staleness(of reply: SagaReply, for instance: SagaInstance) -> String? {
        if instance.status.isTerminal { return "saga \(instance.transactionID) has ended (\(instance.status.rawValue))" }
        if reply.stepKey != instance.currentStepKey || reply.attempt != instance.attempt {
            return "reply for step \(reply.stepKey) attempt \(reply.attempt), but step \(instance.currentStepKey) attempt "
                + "\(instance.attempt) is in flight"
        }
        if (reply.action == .do) != (instance.currentStepKey > 0) { return "reply action \(reply.action.rawValue) does not match step \(reply.stepKey)" }
        return nil
    }

    /// Applies a worker's reply (already checked with ``staleness(of:for:)``).
    func apply(_ reply: SagaReply, to instance: SagaInstance) -> (SagaInstance, Effects) {
        var instance = instance
        var effects = Effects()
        effects.replied = true
        if instance.currentStepKey > 0 {
            applyPrimary(reply, &instance, &effects)
        } else {
            applyCompensation(reply, &instance, &effects)
        }
        return (instance, effects)
    }

    /// Fails the execution in flight retryably because its reply did not come by its deadline,
    /// or `nil` when that execution is no longer in flight (its reply came, or the saga moved on).
    func replyMissed(_ instance: SagaInstance, stepKey: Int, attempt: Int) -> (SagaInstance, Effects)? {
        guard !instance.status.isTerminal, instance.currentStepKey == stepKey, instance.attempt == attempt,
              instance.history.last?.event == "command-sent", let step = definition.step(key: stepKey),
              let timeout = step.replyTimeout else { return nil }
        let reply = SagaReply(transactionID: instance.transactionID, saga: definition.name, stepKey: stepKey,
                              action: stepKey > 0 ? .do : .undo, idempotencyKey: "\(instance.transactionID):\(stepKey)",
                              attempt: attempt, outcome: .retryable, entity: nil, hints: nil, errorContext: [:],
                              message: "no reply within \(timeout)", immediateRetries: 0)
        return apply(reply, to: instance)
    }

    /// Resumes a saga whose compensation failed: its failed compensation runs again from a
    /// first attempt, the history naming `actor`. The reason it cannot, for any other saga.
    func redrive(_ instance: SagaInstance, by actor: String) -> Result<(SagaInstance, Effects), RedriveRefusal> {
        guard instance.status == .compensationFailed, instance.currentStepKey < 0 else {
            return .failure(RedriveRefusal(reason: "saga \(instance.transactionID) is \(instance.status.rawValue); only a saga "
                                           + "whose compensation failed can be re-driven"))
        }
        var instance = instance
        var effects = Effects()
        record(&instance, &effects, "redriven", step: instance.currentStepKey, status: .compensating, detail: "by \(actor)")
        send(&instance, &effects, stepKey: instance.currentStepKey, attempt: 1)
        return .success((instance, effects))
    }

    /// Why a saga cannot be re-driven.
    struct RedriveRefusal: Error {
        let reason: String
    }

    /// Resends the execution a deferred retry was scheduled for.
    func retry(_ instance: SagaInstance, stepKey: Int, attempt: Int) -> (SagaInstance, Effects)? {
        guard !instance.status.isTerminal, instance.currentStepKey == stepKey, instance.attempt + 1 == attempt else { return nil }
        var instance = instance
        var effects = Effects()
        send(&instance, &effects, stepKey: stepKey, attempt: attempt)
        return (instance, effects)
    }

    private func applyPrimary(_ reply: SagaReply, _ instance: inout SagaInstance, _ effects: inout Effects) {
        guard let step = definition.step(key: instance.currentStepKey) else { return }
        switch reply.outcome {
        case .success:
            var entity = reply.entity ?? instance.entity
            if step.kind == .command { instance.completedCommandSteps.append(step.key) }
            record(&instance, &effects, "step-succeeded", step: step.key, status: .inProgress)
            do {
                try definition.onNext?(step, &entity)
            } catch {
                instance.entity = entity
                return compensate(&instance, &effects, failure: "onNext after step \(step.key) threw: \(error)", context: [:])
            }
            instance.entity = entity
            if let index = definition.steps.firstIndex(where: { $0.key == step.key }), index + 1 < definition.steps.count {
                send(&instance, &effects, stepKey: definition.steps[index + 1].key, attempt: 1)
            } else {
                record(&instance, &effects, "completed", step: nil, status: .completed)
            }
        case .retryable:
            if instance.attempt < definition.retry.maxAttempts {
                scheduleRetry(&instance, &effects, policy: definition.retry, message: reply.message)
            } else {
                compensate(&instance, &effects, failure: "step \(step.key) failed after \(instance.attempt) attempts: "
                           + (reply.message ?? "retryable error"), context: [:])
            }
        case .nonRetryable:
            compensate(&instance, &effects, failure: "step \(step.key) failed: " + (reply.message ?? "non-retryable error"),
                       context: reply.errorContext)
        case .unhandled:
            compensate(&instance, &effects, failure: "step \(step.key) failed with an unhandled error: "
                       + (reply.message ?? "unknown"), context: [:])
        }
    }

    private func applyCompensation(_ reply: SagaReply, _ instance: inout SagaInstance, _ effects: inout Effects) {
        guard let step = definition.step(key: instance.currentStepKey) else { return }
        switch reply.outcome {
        case .success:
            var hints = reply.hints ?? instance.hints
            record(&instance, &effects, "undo-succeeded", step: step.compensationKey, status: .compensating)
            do {
                try definition.onNextRevert?(step, instance.entity, &hints)
            } catch {
                instance.hints = hints
                return terminate(&instance, &effects, failure: "onNextRevert after step \(step.compensationKey) threw: \(error)")
            }
            instance.hints = hints
            instance.pendingCompensations.removeFirst()
            compensateNext(&instance, &effects)
        case .retryable:
            if instance.attempt < definition.compensationRetry.maxAttempts {
                scheduleRetry(&instance, &effects, policy: definition.compensationRetry, message: reply.message)
            } else {
                terminate(&instance, &effects, failure: "undo of step \(step.key) failed after \(instance.attempt) attempts: "
                          + (reply.message ?? "retryable error"))
            }
        case .nonRetryable, .unhandled:
            terminate(&instance, &effects, failure: "undo of step \(step.key) failed and may only fail retryably: "
                      + (reply.message ?? reply.outcome.rawValue))
        }
    }

    private func compensate(_ instance: inout SagaInstance, _ effects: inout Effects, failure: String,
                            context: [String: String]) {
        instance.failure = failure
        instance.errorContext = context
        instance.pendingCompensations = instance.completedCommandSteps.reversed()
        record(&instance, &effects, "step-failed", step: instance.currentStepKey, status: .compensating, detail: failure)
        record(&instance, &effects, "compensation-started", step: nil, status: .compensating)
        compensateNext(&instance, &effects)
    }

    private func compensateNext(_ instance: inout SagaInstance, _ effects: inout Effects) {
        if let next = instance.pendingCompensations.first {
            send(&instance, &effects, stepKey: -next, attempt: 1)
        } else {
            record(&instance, &effects, "compensated", step: nil, status: .compensated)
        }
    }

    private func terminate(_ instance: inout SagaInstance, _ effects: inout Effects, failure: String) {
        instance.failure = failure
        record(&instance, &effects, "compensation-failed", step: instance.currentStepKey, status: .compensationFailed,
               detail: failure)
        effects.deadLettered = true
    }

    private func scheduleRetry(_ instance: inout SagaInstance, _ effects: inout Effects, policy: SagaRetryPolicy,
                               message: String?) {
        let due = now + policy.backoffMilliseconds(after: instance.attempt)
        instance.retries += 1
        effects.retry = (due, instance.currentStepKey, instance.attempt + 1)
        record(&instance, &effects, "retry-scheduled", step: instance.currentStepKey, status: instance.status,
               detail: "attempt \(instance.attempt + 1) at \(due)" + (message.map { ": \($0)" } ?? ""))
    }

    private func send(_ instance: inout SagaInstance, _ effects: inout Effects, stepKey: Int, attempt: Int) {
        instance.currentStepKey = stepKey
        instance.attempt = attempt
        let status: SagaStatus = stepKey > 0 ? .inProgress : .compensating
        effects.commands.append(SagaCommand(
            transactionID: instance.transactionID, saga: definition.name, stepKey: stepKey, action: stepKey > 0 ? .do : .undo,
            idempotencyKey: "\(instance.transactionID):\(stepKey)", attempt: attempt, entity: instance.entity,
            hints: instance.hints, errorContext: instance.errorContext))
        record(&instance, &effects, "command-sent", step: stepKey, status: status, detail: attempt > 1 ? "attempt \(attempt)" : nil)
        if let timeout = definition.step(key: stepKey)?.replyTimeout {
            effects.replyDeadline = (now + timeout.milliseconds, stepKey, attempt)
        }
    }

    private func record(_ instance: inout SagaInstance, _ effects: inout Effects, _ event: String, step: Int?,
                        status: SagaStatus, detail: String? = nil) {
        instance.status = status
        let entry = SagaHistoryEntry(at: now, event: event, stepKey: step, status: status, detail: detail)
        instance.history.append(entry)
        effects.events.append(entry)
    }
}
