/// A history entry of a saga instance as published on `saga.events.<saga>`.
public struct SagaEvent: Codable, Sendable, Hashable {
    /// The transaction id.
    public var transactionID: String
    /// The saga's name.
    public var saga: String
    /// What happened (see ``SagaHistoryEntry/event``).
    public var event: String
    /// The signed topic key concerned, if any.
    public var stepKey: Int?
    /// The status after the event.
    public var status: SagaStatus
    /// When, in milliseconds since the epoch.
    public var at: Int64
    /// A message, if any.
    public var detail: String?
}

/// A start request or reply the orchestrator did not accept, on `saga.rejections.<saga>`.
public struct SagaRejection: Codable, Sendable, Hashable {
    /// The transaction id.
    public var transactionID: String
    /// What was received: `start`, or `reply <key> attempt <n>`.
    public var received: String
    /// Why it was not accepted.
    public var reason: String
    /// When, in milliseconds since the epoch.
    public var at: Int64
}

/// A person's request to resume a saga whose compensation failed, from the compensation
/// where it stopped, on `saga.redrive.<saga>` keyed by transaction id.
public struct SagaRedrive: Codable, Sendable, Hashable {
    /// Who re-drives it; recorded in the saga's history.
    public var actor: String

    /// A request by `actor`.
    public init(actor: String) { self.actor = actor }
}

/// The execution a deferred retry resends.
struct SagaRetryTimer: Codable, Sendable {
    var stepKey: Int
    var attempt: Int
}
