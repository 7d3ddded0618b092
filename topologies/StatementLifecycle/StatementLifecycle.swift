public import Flowstate
public import Saga

/// The statement lifecycle of seed 000 as a Flowstate state machine.
///
/// ```
/// close-initiated → waiting-for-approval ─(approve | auto-approval)→ approved
///   waiting-for-approval ─(after escalateAfter)→ escalated ─(approve)→ approved
///   approved → direct-debit-initiated (direct debit) | payment-initiated (manual)
///   → payment-received-initiated → payment-received → closed
/// ```
///
/// Statements arrive on `statement.close-initiated` keyed by organisation id; approvals are
/// `approve` commands on `statement.commands` keyed by statement id (the CLI's
/// `flowstate statement approve`). Each transition is saved in `statement-entities`, appended
/// to `statement-history` and emitted to the topic of the new status, in one transaction.
public enum StatementLifecycle {
    /// The command of the manual approval step.
    public static let approveCommand = "approve"

    /// Options of the lifecycle.
    public struct Options: Sendable, Hashable {
        /// Amounts up to this are approved automatically; `nil`: every statement waits for a person.
        public var autoApprovalLimit: Int?
        /// Each automatic step first awaits this long, off the stream thread: a stand-in for the
        /// call to the approval inbox, the bank or the ledger. Default: none.
        public var stepLatency: Duration
        /// How long a statement waits for approval before it is escalated (a timed
        /// transition to `escalated`, where a person still approves it). Default: 7 days.
        public var escalateAfter: Duration

        /// Creates options.
        public init(autoApprovalLimit: Int? = nil, stepLatency: Duration = .zero, escalateAfter: Duration = .seconds(7 * 24 * 3_600)) {
            self.autoApprovalLimit = autoApprovalLimit
            self.stepLatency = stepLatency
            self.escalateAfter = escalateAfter
        }
    }

    /// The state machine.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func machine(_ options: Options = Options()) throws -> StateMachine<Statement> {
        var machine = StateMachine<Statement>(name: "statement", initial: .closeInitiated)
        try machine.transition(from: .closeInitiated, to: .waitingForApproval)
        try machine.transition(from: .waitingForApproval, to: .approved, command: approveCommand)
        try machine.transition(from: .waitingForApproval, to: .escalated, after: options.escalateAfter)
        try machine.transition(from: .escalated, to: .approved, command: approveCommand)
        if let limit = options.autoApprovalLimit {
            try machine.transition(from: .waitingForApproval, to: .approved,
                                   when: .init("amount ≤ \(limit)") { $0.amount <= limit })
        }
        try machine.transition(from: .approved, to: .directDebitInitiated,
                               when: .init("direct debit") { $0.paymentMethod == .directDebit })
        try machine.transition(from: .approved, to: .paymentInitiated, when: .init("manual payment") { $0.paymentMethod == .manual })
        try machine.transition(from: .directDebitInitiated, to: .paymentReceivedInitiated)
        try machine.transition(from: .paymentInitiated, to: .paymentReceivedInitiated)
        try machine.transition(from: .paymentReceivedInitiated, to: .paymentReceived)
        try machine.transition(from: .paymentReceived, to: .closed)
        func add(_ worker: some StateWorker<Statement>) {
            if options.stepLatency > .zero {
                machine.addWorker(DelayedStateWorker(worker, latency: options.stepLatency))
            } else {
                machine.addWorker(worker)
            }
        }
        add(StatementWorkers.RequestApproval())
        if let limit = options.autoApprovalLimit { add(StatementWorkers.AutoApproval(limit: limit)) }
        add(StatementWorkers.InitiatePayment())
        add(StatementWorkers.ReceivePayment())
        add(StatementWorkers.ReconcilePayment())
        add(StatementWorkers.CloseStatement())
        return machine
    }

    /// The lifecycle's topology.
    ///
    /// - Throws: ``TopologyError`` or ``SagaDefinitionError`` (never, for this fixed definition).
    public static func topology(_ options: Options = Options()) throws -> Topology {
        try machine(options).topology()
    }
}
