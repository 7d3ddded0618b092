public import Saga

/// A loan application at the desk: what the applicant asked for, what the credit bureau
/// answered, and what the underwriter decided.
///
/// Applications arrive on `loan.submitted` keyed by the applicant id (the partition key), so
/// every application of one applicant is processed in order by one task; commands (`approve`,
/// `decline`) arrive on `loan.commands` keyed by the application id.
public struct LoanApplication: StateMachineEntity, Hashable {
    /// The application id (the key of the entity in its store).
    public var id: String
    /// Who applies: the partition key.
    public var applicantId: String
    /// The amount asked for, in whole euros.
    public var amountRequested: Int
    /// The applicant's declared yearly income, in whole euros.
    public var annualIncome: Int
    /// Where it is in its lifecycle.
    public var status: LoanStatus
    /// The bureau's credit score (300–850), once the credit check is done.
    public var creditScore: Int?
    /// The bureau's reference for the check (derived from the step's idempotency key).
    public var bureauReference: String?
    /// Why the application was declined, by the lending policy or the underwriter.
    public var declineReason: String?
    /// The underwriter who decided.
    public var underwriter: String?
    /// The amount approved (at most the amount requested).
    public var approvedAmount: Int?
    /// The payout's reference, once disbursed.
    public var disbursementReference: String?
    /// When it last changed, in milliseconds since the epoch.
    public var updatedAt: Int64
    /// Who changed it last.
    public var updatedBy: String

    /// A new application, as submitted.
    public init(id: String, applicantId: String, amountRequested: Int, annualIncome: Int, status: LoanStatus = .submitted,
                updatedAt: Int64 = 0, updatedBy: String = "applicant") {
        self.id = id
        self.applicantId = applicantId
        self.amountRequested = amountRequested
        self.annualIncome = annualIncome
        self.status = status
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// The applicant id.
    public var partitionKey: String { applicantId }

    /// Sets ``updatedAt`` and ``updatedBy``.
    public mutating func recordTransition(at time: Int64, by actor: String) {
        updatedAt = time
        updatedBy = actor
    }

    /// A copy in `status`.
    func moved(to status: LoanStatus) -> LoanApplication {
        var copy = self
        copy.status = status
        return copy
    }
}

/// The statuses of a loan application; each has its topic `loan.<raw value>`.
///
/// ```
/// submitted → credit-checked → underwriting ─(approve)→ approved → disbursed
///                            ↘ declined      ─(decline)→ declined
/// ```
public enum LoanStatus: String, StateMachineStatus {
    /// The applicant submitted it (the entry point).
    case submitted
    /// The credit bureau scored the applicant.
    case creditChecked = "credit-checked"
    /// It passed the lending policy and waits for an underwriter's decision (a manual step).
    case underwriting
    /// An underwriter approved it.
    case approved
    /// Declined by the lending policy or by an underwriter. Terminal.
    case declined
    /// The money was paid out. Terminal.
    case disbursed
}
