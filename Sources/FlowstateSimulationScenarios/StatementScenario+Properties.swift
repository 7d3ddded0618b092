package import FlowstateTesting
import Flowstate
import Saga
import StatementLifecycle

extension SimulationProperty {
    /// Every statement initiated is in the entities store, `closed` if it was approved
    /// (automatically or by a command that was applied), `waiting-for-approval` otherwise.
    package static let statementEndsInExpectedStatus = SimulationProperty("every statement ends in its expected status")
    /// A statement's history lists the statuses of its payment method's path, in order, with
    /// their actors and non-decreasing times.
    package static let statementHistoryInOrder = SimulationProperty("statement histories in order")
    /// Each transition appears exactly once in the read_committed topic of its status, keyed
    /// by the organisation.
    package static let transitionEmittedOnce = SimulationProperty("each transition once in its status topic")
    /// Each approval is either applied (routed once, in the history) or rejected as unknown,
    /// exactly once; each statement is indexed once.
    package static let commandDecidedOnce = SimulationProperty("each approval applied or rejected, once")
    /// The rejections topic holds only what the model allows; nothing is dead-lettered.
    package static let onlyPredictedRejections = SimulationProperty("nothing rejected unless predicted")
}

extension StatementScenario {
    /// The statuses a statement passes through, in order.
    func path(of statement: Statement, approved: Bool) -> [StatementStatus] {
        guard approved else { return [.closeInitiated, .waitingForApproval] }
        let collection: StatementStatus = statement.paymentMethod == .directDebit ? .directDebitInitiated : .paymentInitiated
        return [.closeInitiated, .waitingForApproval, .approved, collection, .paymentReceivedInitiated, .paymentReceived, .closed]
    }

    /// The properties of the settled world, against the model over the inputs. Timestamps
    /// (`updatedAt`, a history entry's `at`) are not predicted: they are compared modulo.
    ///
    /// Two outcomes depend on the order in which one task reads two partitions, so the model
    /// allows both (and checks that exactly one happened): an approval routed before its
    /// statement's index entry is rejected as unknown; an approval applied before the task
    /// read the statement's `waiting-for-approval` event makes that event stale (rejected,
    /// nothing changed).
    package func verify(_ world: SimulationWorld) throws -> [SimulationViolation] {
        var findings = SimulationFindings()
        let statements = try world.inputs(Self.initiationTopic, as: Statement.self).map(\.value)
        let approvals = try world.inputs(Self.commandsTopic, as: StateMachineCommand.self).map(\.value)
        let approvalOf = Dictionary(approvals.map { ($0.entityID, $0) }, uniquingKeysWith: { first, _ in first })
        let entities = try world.store("\(Self.machineName)-entities", BinarySerde<Statement>())
        let histories = try world.store("\(Self.machineName)-history", BinarySerde<[LifecycleEvent]>())
        let index = try world.store("\(Self.machineName)-index", StringSerde())
        let rejections = Dictionary(grouping: try world.decoded(Self.rejectionsTopic, as: StateMachineRejection.self).map(\.value),
                                    by: \.entityID)
        let routed = Dictionary(grouping: try world.decoded(Self.routedCommandsTopic, as: StateMachineCommand.self),
                                by: \.value.entityID)
        let indexed = Dictionary(grouping: world.readCommitted(Self.indexTopic), by: { String(decoding: $0.key ?? [], as: UTF8.self) })
        var emitted: [StatementStatus: [String: [(key: String, value: Statement)]]] = [:]
        for status in StatementStatus.allCases.dropFirst() {
            emitted[status] = Dictionary(grouping: try world.decoded("statement.\(status.rawValue)", as: Statement.self), by: \.value.id)
        }
        let known = Set(statements.map(\.id))

        findings.expect(Set(entities.keys) == known, .statementEndsInExpectedStatus,
                        "the entities store holds \(entities.count) statement(s), \(statements.count) were initiated"
                        + " (unexpected: \(Set(entities.keys).subtracting(known).sorted().prefix(4)),"
                        + " missing: \(known.subtracting(entities.keys).sorted().prefix(4)))")
        for (id, rejected) in rejections.sorted(by: { $0.key < $1.key }) where !known.contains(id) {
            findings.record(.onlyPredictedRejections, "\(rejected.count) rejection(s) for \(id), never initiated: \(rejected[0].reason)")
        }
        let deadLetters = world.readCommitted("\(applicationID)-dlq")
        findings.expect(deadLetters.isEmpty, .onlyPredictedRejections, "\(deadLetters.count) record(s) dead-lettered")

        for statement in statements {
            let id = statement.id
            let approvalRejections = (rejections[id] ?? []).filter { $0.received == "command \(StatementLifecycle.approveCommand)" }
            let routedCount = routed[id]?.count ?? 0
            var approvedBy: String?
            if statement.amount <= modelAutoApprovalLimit ?? autoApprovalLimit {
                approvedBy = "auto-approval"
                findings.expect(approvalRejections.isEmpty && routedCount == 0, .commandDecidedOnce,
                                "\(id) got no approval, yet \(routedCount) routed and \(approvalRejections.count) rejected")
            } else if let approval = approvalOf[id] {
                let applied = histories[id]?.contains { $0.status == StatementStatus.approved.rawValue && $0.actor == approval.actor } == true
                if applied {
                    approvedBy = approval.actor
                    findings.expect(approvalRejections.isEmpty && routedCount == 1, .commandDecidedOnce,
                                    "\(id)'s approval was applied, routed \(routedCount) time(s), rejected \(approvalRejections.count) time(s)")
                } else {
                    findings.expect(approvalRejections.count == 1 && approvalRejections.first?.reason == "unknown statement \(id)"
                                    && routedCount == 0, .commandDecidedOnce,
                                    "\(id)'s approval was not applied, routed \(routedCount) time(s), rejected "
                                    + "\(approvalRejections.map(\.reason)) (expected once as unknown)")
                }
            } else {
                findings.expect(approvalRejections.isEmpty && routedCount == 0, .commandDecidedOnce,
                                "\(id) got no approval, yet \(routedCount) routed and \(approvalRejections.count) rejected")
            }
            let path = path(of: statement, approved: approvedBy != nil)
            let actors = ["external", "system"] + (approvedBy.map { [$0, "system", "system", "system", "system"] } ?? [])

            // The entity, modulo updatedAt.
            if let entity = entities[id] {
                var expected = statement
                expected.status = path.last!
                expected.updatedBy = actors.last!
                expected.updatedAt = entity.updatedAt
                findings.expect(entity == expected, .statementEndsInExpectedStatus,
                                "\(id) (amount \(statement.amount), approval \(approvedBy ?? "none")) is \(entity.status.rawValue) "
                                + "by \(entity.updatedBy), expected \(expected.status.rawValue) by \(expected.updatedBy)")
                findings.expect(entity.updatedAt == histories[id]?.last?.at, .statementHistoryInOrder,
                                "\(id) was updated at \(entity.updatedAt), its last history entry is at \(histories[id]?.last?.at ?? -1)")
            }
            // The history, modulo times (which must not decrease).
            let history = histories[id] ?? []
            findings.expect(history.map(\.status) == path.map(\.rawValue) && history.map(\.actor) == actors, .statementHistoryInOrder,
                            "\(id): history \(history.map { "\($0.status) by \($0.actor)" }), expected "
                            + "\(zip(path, actors).map { "\($0.rawValue) by \($1)" })")
            findings.expect(zip(history, history.dropFirst()).allSatisfy { $0.at <= $1.at }, .statementHistoryInOrder,
                            "\(id): history times go back: \(history.map(\.at))")
            // Each transition once in its status topic, keyed by organisation.
            for status in StatementStatus.allCases.dropFirst() {
                let records = emitted[status]?[id] ?? []
                let wanted = path.contains(status) ? 1 : 0
                findings.expect(records.count == wanted, .transitionEmittedOnce,
                                "\(id): \(records.count) record(s) in statement.\(status.rawValue), expected \(wanted)")
                findings.expect(records.allSatisfy { $0.key == statement.organisationId && $0.value.status == status },
                                .transitionEmittedOnce, "\(id): a record in statement.\(status.rawValue) has the wrong key or status")
            }
            // Indexed once, for routing.
            let indexRecords = (indexed[id] ?? []).map { String(decoding: $0.value ?? [], as: UTF8.self) }
            findings.expect(index[id] == statement.organisationId && indexRecords == [statement.organisationId], .commandDecidedOnce,
                            "\(id): index store \(index[id] ?? "absent"), index topic \(indexRecords), expected \(statement.organisationId)")
            // Other rejections: only the stale waiting-for-approval event of a statement whose
            // approval command overtook it, once.
            let others = (rejections[id] ?? []).filter { !approvalRejections.contains($0) }
            let overtaken = approvedBy != nil && approvedBy != "auto-approval"
            let stale = others.filter {
                overtaken && $0.received == "status \(StatementStatus.waitingForApproval.rawValue)"
                    && $0.currentStatus.flatMap(StatementStatus.init(rawValue:)).map { path.dropFirst(2).contains($0) } == true
            }
            findings.expect(others.count == stale.count && stale.count <= 1, .onlyPredictedRejections,
                            "\(id): unexpected rejection(s) \(others.map { "\($0.received): \($0.reason)" })")
        }
        return findings.violations
    }
}
