/// Where a saga instance is.
public enum SagaStatus: String, Codable, Sendable, Hashable, CaseIterable {
    /// Created; its first command is being sent.
    case started
    /// Running its primary steps (including waiting for a deferred retry).
    case inProgress = "in-progress"
    /// Every primary step succeeded. Terminal.
    case completed
    /// A primary step failed for good (or `onNext` threw): undoing the completed command steps.
    case compensating
    /// Every completed command step was undone. Terminal.
    case compensated
    /// Compensation could not finish: retries exhausted, an undo failed non-retryably or
    /// `onNextRevert` threw. Terminal; recorded on the saga's dead-letter topic.
    case compensationFailed = "compensation-failed"

    /// Whether the saga has ended.
    public var isTerminal: Bool { self == .completed || self == .compensated || self == .compensationFailed }
}

/// One entry of a saga's history.
public struct SagaHistoryEntry: Codable, Sendable, Hashable {
    /// When, in milliseconds since the epoch (the orchestrator's wall clock).
    public var at: Int64
    /// What happened: `started`, `command-sent`, `step-succeeded`, `retry-scheduled`,
    /// `step-failed`, `compensation-started`, `undo-succeeded`, `completed`, `compensated`,
    /// `compensation-failed`.
    public var event: String
    /// The signed topic key concerned, if any.
    public var stepKey: Int?
    /// The saga's status after the entry.
    public var status: SagaStatus
    /// A message (an error, a retry's due time).
    public var detail: String?
}

/// A saga instance as the orchestrator stores it, keyed by transaction id.
public struct SagaInstance: Codable, Sendable, Hashable {
    /// The transaction id.
    public var transactionID: String
    /// The saga's name.
    public var saga: String
    /// Where it is.
    public var status: SagaStatus
    /// The signed key of the execution in flight (or last run).
    public var currentStepKey: Int
    /// The deferred attempt of the execution in flight, from 1.
    public var attempt: Int
    /// The domain entity state.
    public var entity: JSONObject
    /// The hint store shared by compensation executions.
    public var hints: JSONObject
    /// Context of the failure that started compensation.
    public var errorContext: [String: String]
    /// Why compensation started or failed.
    public var failure: String?
    /// Keys of the command steps that completed, in order.
    public var completedCommandSteps: [Int]
    /// Keys of the command steps still to undo, next first.
    public var pendingCompensations: [Int]
    /// Deferred retries scheduled so far, all steps together.
    public var retries: Int
    /// Everything that happened, oldest first.
    public var history: [SagaHistoryEntry]
    /// The trace context of the last span that handled the saga (when tracing is on), which
    /// its deferred retries and reply deadlines continue; `nil` in instances stored before.
    public var trace: TraceContextHeaders?
}
