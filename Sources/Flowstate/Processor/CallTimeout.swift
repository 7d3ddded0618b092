/// A suspended call (``ProcessorContext/suspend(_:timeout:_:then:)``) that did not finish within
/// its timeout: the call is cancelled and its continuation receives this error.
///
/// A timed-out call may still have reached the service it called: treat it as retryable and
/// make the call idempotent.
public struct CallTimeout: Error, Sendable, CustomStringConvertible {
    /// The call's name (a worker or endpoint).
    public let name: String
    /// The timeout that passed.
    public let timeout: Duration

    /// A description naming the call and the timeout.
    public var description: String { "\(name) did not finish within \(timeout)" }
}
