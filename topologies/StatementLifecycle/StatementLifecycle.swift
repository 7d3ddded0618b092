public import Flowstate
public import Saga

/// The statement lifecycle of seed 000 as a Flowstate state machine.
///
/// ```
/// close-initiated → waiting-for-approval ─(approve | auto-approval)→ approved
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

        /// Creates options.
        public init(autoApprovalLimit: Int? = nil) { self.autoApprovalLimit = autoApprovalLimit }
    }

    /// The state machine.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func machine(_ options: Options = Options()) throws -> StateMachine<Statement> {
        var machine = StateMachine<Statement>(name: "statement", initial: .closeInitiated)
        try machine.transition(from: .closeInitiated, to: .waitingForApproval)
        try machine.transition(from: .waitingForApproval, to: .approved, command: approveCommand)
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
        machine.addWorker(StatementWorkers.RequestApproval())
        if let limit = options.autoApprovalLimit { machine.addWorker(StatementWorkers.AutoApproval(limit: limit)) }
        machine.addWorker(StatementWorkers.InitiatePayment())
        machine.addWorker(StatementWorkers.ReceivePayment())
        machine.addWorker(StatementWorkers.ReconcilePayment())
        machine.addWorker(StatementWorkers.CloseStatement())
        return machine
    }

    /// The lifecycle's topology.
    ///
    /// - Throws: ``TopologyError`` or ``SagaDefinitionError`` (never, for this fixed definition).
    public static func topology(_ options: Options = Options()) throws -> Topology {
        try machine(options).topology()
    }
}
