import Flowstate

/// Where a worker's step stands in its retries: the rules of immediate and deferred retries,
/// as pure functions.
struct WorkerTry: Sendable, Hashable {
    /// Tries of this transition's step so far, this one included (``StateWorkerCall/attempt``).
    var attempt = 1
    /// The deferred attempt this try belongs to: 1 for the first, 2 after the first timer…
    var round = 1
    /// The try within the round: 1, then 2, 3… on immediate retries.
    var inRound = 1

    /// What follows a failed try.
    enum Next: Sendable, Hashable {
        /// Run again now (after the immediate policy's backoff), in the same call.
        case now(WorkerTry)
        /// Run again after `delay` milliseconds, through a durable timer.
        case later(WorkerTry, delay: Int64)
        /// Give up: the triggering record goes to the dead-letter topic with `reason`.
        case deadLetter(reason: String)
    }

    /// What follows this try's failure with `error`, under the worker's policies.
    ///
    /// - Parameters:
    ///   - immediate: `nil` for a synchronous worker (repeating it at once gives the same answer).
    func next(after error: any Error, worker: String, entityID: String, immediate: ImmediateRetryPolicy?,
              deferred: DeferredRetryPolicy) -> Next {
        let kind = (error as? StateWorkerError)?.kind ?? (immediate == nil ? .nonRetryable : .immediatelyRetryable)
        let failed = "worker \(worker) failed \(attempt) time(s) for \(entityID): \(error)"
        switch kind {
        case .nonRetryable:
            return .deadLetter(reason: failed)
        case .immediatelyRetryable:
            if let immediate, inRound < immediate.maxAttempts {
                return .now(WorkerTry(attempt: attempt + 1, round: round, inRound: inRound + 1))
            }
            fallthrough
        case .retryable:
            guard round < deferred.maxAttempts else {
                return .deadLetter(reason: failed + " (retries spent: \(deferred.maxAttempts) deferred attempt(s))")
            }
            return .later(WorkerTry(attempt: attempt + 1, round: round + 1, inRound: 1),
                          delay: deferred.backoffMilliseconds(after: round))
        }
    }
}

/// A deferred retry waiting in the machine's worker-retry timers, keyed by entity id.
struct WorkerRetryTimer: Codable, Sendable, Hashable {
    /// The status the entity was in; the retry is dropped if it has moved on.
    var status: String
    /// The entity's transitions when the step failed; with the status, what makes a retry stale.
    var transitions: Int
    /// The try the retry starts with.
    var attempt: Int
    var round: Int
}

/// The header that marks an entity record on `<machine>.worker-retries` as a deferred retry:
/// `attempt/round/transitions`.
enum WorkerRetryHeader {
    static let name = "flowstate-worker-retry"

    static func header(_ timer: WorkerRetryTimer) -> KafkaHeader {
        KafkaHeader(key: name, value: Array("\(timer.attempt)/\(timer.round)/\(timer.transitions)".utf8))
    }

    /// The retry a record's headers describe, if it is one.
    static func retry(in headers: [KafkaHeader]) -> (try: WorkerTry, transitions: Int)? {
        guard let value = headers.last(where: { $0.key == name })?.value else { return nil }
        let fields = String(decoding: value, as: UTF8.self).split(separator: "/").compactMap { Int($0) }
        guard fields.count == 3 else { return nil }
        return (WorkerTry(attempt: fields[0], round: fields[1], inRound: 1), fields[2])
    }
}

/// Where an entity's step stands in its history: the entries so far (what makes a retry or a
/// result stale) and the transitions so far (what names the step in its idempotency key).
///
/// A re-drive appends an entry repeating the current status (a transition never does: a
/// status cannot move to itself), so the transitions are the entries that differ from the one
/// before them, and a re-driven step keeps its idempotency key.
struct StepPosition: Sendable, Hashable {
    let entries: Int
    let transitions: Int

    init(_ history: [LifecycleEvent]) {
        entries = history.count
        var transitions = 0
        var previous: String?
        for event in history where event.status != previous {
            transitions += 1
            previous = event.status
        }
        self.transitions = transitions
    }
}
