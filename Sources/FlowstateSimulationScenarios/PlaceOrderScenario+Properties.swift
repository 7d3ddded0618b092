package import FlowstateTesting
import Flowstate
import PlaceOrder
import Saga

extension SimulationProperty {
    /// Every saga started is stored in the terminal status the model predicts (completed,
    /// compensated or compensation-failed); none is stuck, no retry timer is left.
    package static let sagaEndsInExpectedStatus = SimulationProperty("every saga ends in its expected terminal status")
    /// The steps whose commands a saga sent, as its history lists them, follow the model:
    /// primary steps in order, deferred retries, compensations in reverse.
    package static let sagaStepsInOrder = SimulationProperty("saga steps in order, compensations in reverse")
    /// A saga's whole history (event, step, status) is the model's: no worker reply was
    /// applied twice, no retry fired twice.
    package static let sagaRepliesAppliedOnce = SimulationProperty("each worker reply applied once")
    /// Each command, reply and history event appears exactly once in its read_committed topic;
    /// nothing is rejected or dead-lettered by the runtime.
    package static let sagaMessagesOnce = SimulationProperty("each saga command, reply and event once")
    /// The saga dead-letter topic holds exactly the compensation-failed sagas, once each.
    package static let sagaDeadLettersExact = SimulationProperty("the saga DLQ holds exactly the failed compensations, once")
}

extension PlaceOrderScenario {
    /// The properties of the settled world, against ``PlaceOrderModel`` over the inputs,
    /// modulo times (history `at`, a retry's due time).
    package func verify(_ world: SimulationWorld) throws -> [SimulationViolation] {
        var findings = SimulationFindings()
        let definition = try PlaceOrder.definition(options)
        let orders = try world.inputs(Self.startTopic, as: JSONObject.self)
        let instances = try world.store(definition.instanceStore, JSONSerde<SagaInstance>())
        let pendingTimers = world.stores[definition.retryStore]?.count ?? 0
        findings.expect(pendingTimers == 0, .sagaEndsInExpectedStatus, "\(pendingTimers) retry timer entries left after quiescence")
        findings.expect(instances.count == orders.count, .sagaEndsInExpectedStatus,
                        "\(instances.count) saga instance(s) stored, \(orders.count) started")

        var commandTopics: [String] = []
        for step in definition.steps {
            commandTopics.append(step.doTopic)
            if step.kind == .command { commandTopics.append(step.undoTopic) }
        }
        let commands = Dictionary(grouping: try commandTopics.flatMap { try world.decoded($0, as: SagaCommand.self).map(\.value) },
                                  by: \.transactionID)
        let replies = Dictionary(grouping: try world.decoded(definition.replyTopic, as: SagaReply.self).map(\.value), by: \.transactionID)
        let events = Dictionary(grouping: try world.decoded(definition.eventsTopic, as: SagaEvent.self).map(\.value), by: \.transactionID)
        let deadLettered = Dictionary(grouping: try world.decoded(definition.deadLetterTopic, as: SagaInstance.self).map(\.value),
                                      by: \.transactionID)
        let rejections = try world.decoded(definition.rejectionsTopic, as: SagaRejection.self).map(\.value)
        findings.expect(rejections.isEmpty, .sagaMessagesOnce,
                        "\(rejections.count) rejection(s), first: \(rejections.first.map { "\($0.transactionID) \($0.received): \($0.reason)" } ?? "")")
        let runtimeDeadLetters = world.readCommitted("\(applicationID)-dlq")
        findings.expect(runtimeDeadLetters.isEmpty, .sagaMessagesOnce, "\(runtimeDeadLetters.count) record(s) dead-lettered by the runtime")
        let started = Set(orders.map(\.key))
        for id in Set(deadLettered.keys).subtracting(started).sorted() {
            findings.record(.sagaDeadLettersExact, "\(id) is dead-lettered but was never started")
        }

        let model = self.model
        for (id, order) in orders {
            let expected = model.outcome(of: order)
            guard let instance = instances[id] else {
                findings.record(.sagaEndsInExpectedStatus, "saga \(id) is not stored (expected \(expected.status.rawValue))")
                continue
            }
            let history = instance.history.map { PlaceOrderModel.Entry(event: $0.event, stepKey: $0.stepKey, status: $0.status) }
            let sent = history.filter { $0.event == "command-sent" }.compactMap(\.stepKey)
            findings.expect(instance.status == expected.status, .sagaEndsInExpectedStatus,
                            "saga \(id) \(fields(order)) is \(instance.status.rawValue), expected \(expected.status.rawValue) "
                            + "(steps sent \(sent))")
            findings.expect(sent == expected.sentSteps, .sagaStepsInOrder,
                            "saga \(id) \(fields(order)) sent steps \(sent), expected \(expected.sentSteps)")
            findings.expect(history == expected.history, .sagaRepliesAppliedOnce,
                            "saga \(id) \(fields(order)): history \(history), expected \(expected.history)")
            findings.expect(zip(instance.history, instance.history.dropFirst()).allSatisfy { $0.at <= $1.at }, .sagaRepliesAppliedOnce,
                            "saga \(id): history times go back: \(instance.history.map(\.at))")
            let undone = instance.hints["undone_steps"]?.arrayValue?.compactMap(\.intValue) ?? []
            findings.expect(undone == expected.undone, .sagaStepsInOrder,
                            "saga \(id) \(fields(order)): compensations undone \(undone), expected \(expected.undone)")
            if expected.status == .completed {
                findings.expect(instance.entity["delivery_id"]?.stringValue == "del-\(id):4", .sagaEndsInExpectedStatus,
                                "saga \(id) completed without its delivery: \(instance.entity)")
            }

            // Each command once, each reply once (one per command), each history entry once as an event.
            let wantedCommands = expected.commands.map { "\($0.stepKey)#\($0.attempt)" }.sorted()
            let gotCommands = (commands[id] ?? []).map { "\($0.stepKey)#\($0.attempt)" }.sorted()
            findings.expect(gotCommands == wantedCommands, .sagaMessagesOnce,
                            "saga \(id): commands \(gotCommands), expected \(wantedCommands)")
            findings.expect((commands[id] ?? []).allSatisfy { $0.idempotencyKey == "\(id):\($0.stepKey)" }, .sagaMessagesOnce,
                            "saga \(id): a command's idempotency key is not <transaction id>:<step>")
            let gotReplies = (replies[id] ?? []).map { "\($0.stepKey)#\($0.attempt)" }.sorted()
            findings.expect(gotReplies == wantedCommands, .sagaMessagesOnce,
                            "saga \(id): replies \(gotReplies), expected one per command \(wantedCommands)")
            let published = (events[id] ?? []).map { PlaceOrderModel.Entry(event: $0.event, stepKey: $0.stepKey, status: $0.status) }
            findings.expect(published == history, .sagaMessagesOnce,
                            "saga \(id): events topic \(published), history \(history)")
            let dead = deadLettered[id] ?? []
            let wantedDead = expected.status == .compensationFailed ? 1 : 0
            findings.expect(dead.count == wantedDead && dead.allSatisfy { $0.status == .compensationFailed }, .sagaDeadLettersExact,
                            "saga \(id) (\(instance.status.rawValue)) is dead-lettered \(dead.count) time(s), expected \(wantedDead)")
        }
        return findings.violations
    }

    /// The order's scenario fields, for messages.
    private func fields(_ order: JSONObject) -> String {
        let shown = order.filter { $0.key != "username" && $0.key != "total_amount" || ($0.value.intValue ?? 0) > PlaceOrder.fraudLimit }
        return "{" + shown.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }
}
