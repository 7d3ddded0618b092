public import Saga

/// The automatic steps of a statement, in the seed's worker shape. Each stands in for a call
/// to another system (the approval inbox, the bank, the ledger); as stand-ins they never wait,
/// so they are ``SynchronousStateWorker``s.
public enum StatementWorkers {
    /// close-initiated → waiting-for-approval: files the statement in the approvers' inbox.
    public struct RequestApproval: SynchronousStateWorker {
        /// Creates the worker.
        public init() {}
        /// Statements whose closing was just requested.
        public func isApplicable(_ statement: Statement) -> Bool { statement.status == .closeInitiated }
        /// Moves the statement to waiting-for-approval.
        public func processSynchronously(_ statement: Statement) -> Statement? {
            statement.moved(to: .waitingForApproval)
        }
    }

    /// waiting-for-approval → approved without a person, for amounts up to a limit.
    public struct AutoApproval: SynchronousStateWorker {
        /// The highest amount approved automatically.
        public let limit: Int
        /// Names the policy in the history.
        public var actor: String { "auto-approval" }
        /// Creates the worker.
        public init(limit: Int) { self.limit = limit }
        /// Waiting statements within the limit.
        public func isApplicable(_ statement: Statement) -> Bool {
            statement.status == .waitingForApproval && statement.amount <= limit
        }
        /// Approves the statement.
        public func processSynchronously(_ statement: Statement) -> Statement? { statement.moved(to: .approved) }
    }

    /// approved → direct-debit-initiated or payment-initiated, by payment method.
    public struct InitiatePayment: SynchronousStateWorker {
        /// Creates the worker.
        public init() {}
        /// Approved statements.
        public func isApplicable(_ statement: Statement) -> Bool { statement.status == .approved }
        /// Starts the collection the payment method calls for.
        public func processSynchronously(_ statement: Statement) -> Statement? {
            statement.moved(to: statement.paymentMethod == .directDebit ? .directDebitInitiated : .paymentInitiated)
        }
    }

    /// direct-debit-initiated or payment-initiated → payment-received-initiated: the money arrived.
    public struct ReceivePayment: SynchronousStateWorker {
        /// Creates the worker.
        public init() {}
        /// Statements whose payment was initiated.
        public func isApplicable(_ statement: Statement) -> Bool {
            statement.status == .directDebitInitiated || statement.status == .paymentInitiated
        }
        /// Records that a payment arrived.
        public func processSynchronously(_ statement: Statement) -> Statement? { statement.moved(to: .paymentReceivedInitiated) }
    }

    /// payment-received-initiated → payment-received: the ledger reconciles the payment.
    public struct ReconcilePayment: SynchronousStateWorker {
        /// Creates the worker.
        public init() {}
        /// Statements with a payment to reconcile.
        public func isApplicable(_ statement: Statement) -> Bool { statement.status == .paymentReceivedInitiated }
        /// Reconciles it.
        public func processSynchronously(_ statement: Statement) -> Statement? { statement.moved(to: .paymentReceived) }
    }

    /// payment-received → closed.
    public struct CloseStatement: SynchronousStateWorker {
        /// Creates the worker.
        public init() {}
        /// Paid statements.
        public func isApplicable(_ statement: Statement) -> Bool { statement.status == .paymentReceived }
        /// Closes it.
        public func processSynchronously(_ statement: Statement) -> Statement? { statement.moved(to: .closed) }
    }
}

extension Statement {
    /// A copy in `status`.
    func moved(to status: StatementStatus) -> Statement {
        var copy = self
        copy.status = status
        return copy
    }
}
