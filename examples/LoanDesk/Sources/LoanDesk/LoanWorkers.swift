public import Saga

/// The loan desk's lending rules, applied once the bureau has scored the applicant.
public struct LendingPolicy: Sendable, Hashable {
    /// The lowest credit score that goes on to underwriting.
    public var minimumCreditScore: Int
    /// The largest amount, as a multiple of the applicant's yearly income.
    public var maximumAmountToIncome: Int

    /// A policy; the defaults: a score of at least 600, at most five times the yearly income.
    public init(minimumCreditScore: Int = 600, maximumAmountToIncome: Int = 5) {
        self.minimumCreditScore = minimumCreditScore
        self.maximumAmountToIncome = maximumAmountToIncome
    }

    /// Why `application` must be declined, or `nil` when it goes on to underwriting.
    public func declineReason(for application: LoanApplication) -> String? {
        guard let score = application.creditScore else { return "no credit score" }
        if score < minimumCreditScore { return "credit score \(score) is below \(minimumCreditScore)" }
        if application.amountRequested > application.annualIncome * maximumAmountToIncome {
            return "amount \(application.amountRequested) exceeds \(maximumAmountToIncome)× the yearly income"
        }
        return nil
    }
}

/// The automatic steps of a loan application.
public enum LoanWorkers {
    /// submitted → credit-checked: asks the credit bureau for the applicant's score.
    ///
    /// The call runs off the stream thread and may be slow: it fails as retryable after
    /// ``timeout``; a bureau that is down is retried later under ``deferredRetry`` (the
    /// application stays `submitted` meanwhile); an applicant the bureau does not know goes to
    /// the dead-letter topic at once.
    public struct CheckCredit: StateWorker {
        /// The bureau called.
        public let bureau: any CreditBureau
        /// Longest one call may take before it is abandoned and retried.
        public let timeout: Duration
        /// Tries at once (the first included), 100 ms apart, before a deferred retry.
        public let retry: ImmediateRetryPolicy
        /// Later tries through durable timers: the bureau may be down for a while.
        public let deferredRetry: DeferredRetryPolicy

        /// A worker calling `bureau`; defaults: 2 s per call, 2 tries at once, then 5 attempts
        /// 1 s apart doubling up to 30 s.
        public init(bureau: any CreditBureau, timeout: Duration = .seconds(2),
                    retry: ImmediateRetryPolicy = ImmediateRetryPolicy(maxAttempts: 2, backoff: .milliseconds(100)),
                    deferredRetry: DeferredRetryPolicy = DeferredRetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1),
                                                                             maxBackoff: .seconds(30))) {
            self.bureau = bureau
            self.timeout = timeout
            self.retry = retry
            self.deferredRetry = deferredRetry
        }

        /// Names the bureau in the history.
        public var actor: String { "credit-bureau" }
        /// Submitted applications.
        public func isApplicable(_ application: LoanApplication) -> Bool { application.status == .submitted }

        /// Scores the applicant (one bureau enquiry per transition, whatever the retries).
        public func process(_ application: LoanApplication) async throws -> LoanApplication? {
            let key = StateWorkerCall.idempotencyKey ?? "loan/\(application.id)"
            let score: Int
            do {
                score = try await bureau.score(applicantId: application.applicantId, idempotencyKey: key)
            } catch CreditBureauError.unavailable {
                throw StateWorkerError.retryable(CreditBureauError.unavailable.description)
            } catch let error as CreditBureauError {
                throw StateWorkerError.nonRetryable(error.description)
            }
            var next = application.moved(to: .creditChecked)
            next.creditScore = score
            next.bureauReference = "enquiry-\(key)"
            return next
        }
    }

    /// credit-checked → underwriting or declined, by the ``LendingPolicy``.
    public struct ApplyLendingPolicy: SynchronousStateWorker {
        /// The rules.
        public let policy: LendingPolicy
        /// A worker applying `policy`.
        public init(policy: LendingPolicy) { self.policy = policy }
        /// Names the policy in the history.
        public var actor: String { "lending-policy" }
        /// Applications the bureau scored.
        public func isApplicable(_ application: LoanApplication) -> Bool { application.status == .creditChecked }
        /// Declines with the reason, or sends to an underwriter.
        public func processSynchronously(_ application: LoanApplication) -> LoanApplication? {
            if let reason = policy.declineReason(for: application) {
                var declined = application.moved(to: .declined)
                declined.declineReason = reason
                return declined
            }
            return application.moved(to: .underwriting)
        }
    }

    /// approved → disbursed: pays the approved amount out (a stand-in for the payment system,
    /// awaiting `latency`), with the step's idempotency key as the payout's reference so that a
    /// retried step pays once.
    public struct Disburse: StateWorker {
        /// How long the payout call takes.
        public let latency: Duration
        /// A worker whose payouts take `latency`.
        public init(latency: Duration = .milliseconds(20)) { self.latency = latency }
        /// Names the payment system in the history.
        public var actor: String { "payments" }
        /// Approved applications.
        public func isApplicable(_ application: LoanApplication) -> Bool { application.status == .approved }
        /// Pays out.
        public func process(_ application: LoanApplication) async throws -> LoanApplication? {
            try await Task.sleep(for: latency)
            var next = application.moved(to: .disbursed)
            next.disbursementReference = "payout-\(StateWorkerCall.idempotencyKey ?? application.id)"
            return next
        }
    }
}
