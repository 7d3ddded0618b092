/// A credit bureau: scores an applicant. A real one is a remote service; the loan desk calls it
/// from the ``LoanWorkers/CheckCredit`` worker.
public protocol CreditBureau: Sendable {
    /// The applicant's credit score (300–850).
    ///
    /// - Parameters:
    ///   - applicantId: Who is scored.
    ///   - idempotencyKey: The same for every try of the same credit check: the bureau bills
    ///     (and logs) one enquiry per key, however often the step runs again.
    /// - Throws: ``CreditBureauError``.
    func score(applicantId: String, idempotencyKey: String) async throws -> Int
}

/// How a credit bureau call failed.
public enum CreditBureauError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bureau is down or overloaded: try again later.
    case unavailable
    /// The bureau has no file on the applicant: trying again will not help.
    case noCreditFile(applicantId: String)

    /// A sentence for logs and dead letters.
    public var description: String {
        switch self {
        case .unavailable: "the credit bureau is unavailable"
        case .noCreditFile(let applicantId): "the credit bureau has no file on \(applicantId)"
        }
    }
}

/// A stand-in for a credit bureau: answers after `latency` with a score decided by the
/// applicant id, so a demo (or a test) can choose outcomes.
///
/// | applicant id starts with | answer |
/// |---|---|
/// | `poor-credit-` | 540 (below the lending policy's minimum) |
/// | `no-file-` | ``CreditBureauError/noCreditFile(applicantId:)`` |
/// | anything else | 720 |
public struct SimulatedCreditBureau: CreditBureau {
    /// How long each call takes.
    public var latency: Duration

    /// A bureau answering after `latency`.
    public init(latency: Duration = .milliseconds(50)) {
        self.latency = latency
    }

    /// Waits `latency`, then scores by the applicant id's prefix.
    public func score(applicantId: String, idempotencyKey: String) async throws -> Int {
        try await Task.sleep(for: latency)
        if applicantId.hasPrefix("no-file-") { throw CreditBureauError.noCreditFile(applicantId: applicantId) }
        return applicantId.hasPrefix("poor-credit-") ? 540 : 720
    }
}
