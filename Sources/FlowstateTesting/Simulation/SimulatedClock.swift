/// Simulated time in milliseconds, advanced only by the simulation.
///
/// `@unchecked Sendable`: a simulation runs on one thread; the runtime's clock closures
/// capture the clock but are called only from that thread.
package final class SimulatedClock: @unchecked Sendable {
    /// Milliseconds since the simulation started.
    package private(set) var now: Int64 = 0
    /// Wall-clock time at the simulation's start (milliseconds since the epoch).
    package let epoch: Int64 = 1_700_000_000_000

    package init() {}

    /// Moves time forward.
    package func advance(by milliseconds: Int64) { now += max(0, milliseconds) }

    /// Milliseconds since the epoch, for wall-clock punctuation and record timestamps.
    package var wallClock: Int64 { epoch + now }
}
