/// How often and how late a step is retried after a retryable failure.
///
/// The orchestrator schedules a deferred retry with a durable timer: attempt `n + 1` starts
/// `backoff(after: n)` after attempt `n` failed, from the last persisted saga state.
public struct SagaRetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included. `1` means no retry.
    public var maxAttempts: Int
    /// The delay before the second attempt.
    public var initialBackoff: Duration
    /// The factor each further delay grows by.
    public var multiplier: Double
    /// The longest delay.
    public var maxBackoff: Duration

    /// Creates a policy.
    public init(maxAttempts: Int, initialBackoff: Duration = .seconds(1), multiplier: Double = 2,
                maxBackoff: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.multiplier = max(1, multiplier)
        self.maxBackoff = maxBackoff
    }

    /// Primary steps: 5 attempts, 1 s doubling up to 60 s.
    public static var primaryDefault: SagaRetryPolicy { SagaRetryPolicy(maxAttempts: 5) }
    /// Compensation steps: 10 attempts, 1 s doubling up to 60 s.
    public static var compensationDefault: SagaRetryPolicy { SagaRetryPolicy(maxAttempts: 10) }

    /// The delay after failed attempt `attempt` (1-based), in milliseconds.
    public func backoffMilliseconds(after attempt: Int) -> Int64 {
        let initial = Double(initialBackoff.milliseconds)
        let delay = initial * pow(multiplier, Double(max(0, attempt - 1)))
        return Int64(min(delay, Double(maxBackoff.milliseconds)))
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// `base` to the power `exponent`, without Foundation.
func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
