public import Saga

/// The loan desk: loan applications as a Flowstate state machine named `loan`.
///
/// ```
/// submitted ─(credit bureau)→ credit-checked ─(lending policy)→ underwriting | declined
/// underwriting ─(command approve)→ approved ─(payments)→ disbursed
/// underwriting ─(command decline)→ declined
/// ```
///
/// Applications arrive on `loan.submitted` keyed by applicant id. An underwriter decides with
/// `loan-desk command loan <id> approve --actor alice [--argument amount=N]` or
/// `… decline --actor alice [--argument reason=…]`. Each transition saves the application
/// (`loan-entities`), appends to its history (`loan-history`) and emits it to the topic of its
/// new status, in one Kafka transaction.
public enum LoanDesk {
    /// The machine's name: its topics are `loan.<status>`.
    public static let machineName = "loan"
    /// The underwriter's approval (optional argument `amount`, at most the amount requested).
    public static let approveCommand = "approve"
    /// The underwriter's refusal (optional argument `reason`).
    public static let declineCommand = "decline"

    /// What the desk is built from.
    public struct Options: Sendable {
        /// The bureau the credit check calls.
        public var bureau: any CreditBureau
        /// The rules after the credit check.
        public var policy: LendingPolicy
        /// How long each payout takes.
        public var payoutLatency: Duration
        /// Longest one bureau call may take.
        public var bureauTimeout: Duration
        /// Later tries of a failed credit check.
        public var bureauRetry: DeferredRetryPolicy

        /// Options; the defaults: the simulated bureau answering in 50 ms, the default policy,
        /// 20 ms payouts, 2 s per bureau call, 5 deferred attempts 1 s apart doubling.
        public init(bureau: any CreditBureau = SimulatedCreditBureau(), policy: LendingPolicy = LendingPolicy(),
                    payoutLatency: Duration = .milliseconds(20), bureauTimeout: Duration = .seconds(2),
                    bureauRetry: DeferredRetryPolicy = DeferredRetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1),
                                                                           maxBackoff: .seconds(30))) {
            self.bureau = bureau
            self.policy = policy
            self.payoutLatency = payoutLatency
            self.bureauTimeout = bureauTimeout
            self.bureauRetry = bureauRetry
        }
    }

    /// The state machine.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func machine(_ options: Options = Options()) throws -> StateMachine<LoanApplication> {
        var machine = StateMachine<LoanApplication>(name: machineName, initial: .submitted)
        try machine.transition(from: .submitted, to: .creditChecked)
        try machine.transition(from: .creditChecked, to: .underwriting,
                               when: .init("passes the lending policy") { $0.declineReason == nil })
        try machine.transition(from: .creditChecked, to: .declined,
                               when: .init("fails the lending policy") { $0.declineReason != nil })
        try machine.transition(
            from: .underwriting, to: .approved, command: approveCommand,
            when: .init("amount ≤ requested", command: { application, command in
                guard let text = command.arguments["amount"] else { return true }
                guard let amount = Int(text) else { return false }
                return amount > 0 && amount <= application.amountRequested
            }),
            update: { application, command in
                application.underwriter = command.actor
                application.approvedAmount = command.arguments["amount"].flatMap { Int($0) } ?? application.amountRequested
            })
        try machine.transition(from: .underwriting, to: .declined, command: declineCommand,
                               update: { application, command in
                                   application.underwriter = command.actor
                                   application.declineReason = command.arguments["reason"] ?? "declined by the underwriter"
                               })
        try machine.transition(from: .approved, to: .disbursed)
        machine.addWorker(LoanWorkers.CheckCredit(bureau: options.bureau, timeout: options.bureauTimeout,
                                                  deferredRetry: options.bureauRetry))
        machine.addWorker(LoanWorkers.ApplyLendingPolicy(policy: options.policy))
        machine.addWorker(LoanWorkers.Disburse(latency: options.payoutLatency))
        return machine
    }
}
