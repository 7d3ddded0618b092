/// What an endpoint throws to tell the saga how it failed (StackSaga's executor exceptions).
///
/// Anything else an endpoint throws is treated as non-retryable with no error context.
public struct SagaEndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// Transient: the orchestrator schedules a deferred retry from the last persisted state.
        case retryable
        /// Transient and worth retrying at once: the worker retries in place under the
        /// endpoint's ``ImmediateRetryPolicy`` before replying; exhausted, it becomes retryable.
        case immediatelyRetryable
        /// Permanent: compensation starts, and ``SagaEndpointError/context`` reaches the undo steps.
        /// In an undo it terminates compensation.
        case nonRetryable
    }

    /// The kind of failure.
    public let kind: Kind
    /// What went wrong.
    public let message: String
    /// Key-value context for the compensation steps (non-retryable failures only).
    public let context: [String: String]

    /// A transient failure: retry later (`RetryableExecutorException`).
    public static func retryable(_ message: String) -> SagaEndpointError {
        SagaEndpointError(kind: .retryable, message: message, context: [:])
    }

    /// A transient failure to retry at once, in the worker (`JustRetryableExecutorException`).
    public static func immediatelyRetryable(_ message: String) -> SagaEndpointError {
        SagaEndpointError(kind: .immediatelyRetryable, message: message, context: [:])
    }

    /// A permanent failure, with context for compensation (`NonRetryableExecutorException`).
    public static func nonRetryable(_ message: String, context: [String: String] = [:]) -> SagaEndpointError {
        SagaEndpointError(kind: .nonRetryable, message: message, context: context)
    }

    /// The kind and message.
    public var description: String { "\(kind): \(message)" }
}
