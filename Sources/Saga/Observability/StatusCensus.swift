import Flowstate
import Synchronization

/// Counts a machine's entities per status for the `flowstate_status_entities` gauges.
///
/// Every task that holds entities recounts its own store on a wall-clock punctuation (and once
/// when it starts, after restoration) and reports its share; the gauges show the sum of the
/// shares of the tasks this process hosts. A task withdraws its share when it closes (revoked
/// in a rebalance, shutdown), so the counts follow the assignment and never count an entity
/// twice within a process. Nothing is added to the per-record path: the cost is one scan of
/// the task's store per interval.
final class StatusCensus: Sendable {
    let counts: StatusCounts
    let statuses: [String]
    private let state = Mutex<(nextShare: Int, shares: [Int: [String: Int]])>((0, [:]))

    /// - Parameters:
    ///   - counts: The gauges.
    ///   - statuses: Every status, reported (as 0 when empty) so each has a gauge from the start.
    init(counts: StatusCounts, statuses: [String]) {
        self.counts = counts
        self.statuses = statuses
    }

    /// A new share, for one task's processor.
    func join() -> Int {
        state.withLock { state in
            state.nextShare += 1
            return state.nextShare
        }
    }

    /// Replaces `share`'s counts and updates the gauges.
    func report(_ share: Int, _ tally: [String: Int]) {
        publish { $0.shares[share] = tally }
    }

    /// Removes `share` (its task closed) and updates the gauges.
    func withdraw(_ share: Int) {
        publish { $0.shares[share] = nil }
    }

    private func publish(_ change: (inout (nextShare: Int, shares: [Int: [String: Int]])) -> Void) {
        // The totals are computed and set under the lock so two tasks reporting at once cannot
        // leave a stale total behind.
        state.withLock { state in
            change(&state)
            var totals = Dictionary(uniqueKeysWithValues: statuses.map { ($0, 0) })
            for tally in state.shares.values { totals.merge(tally, uniquingKeysWith: +) }
            for (status, total) in totals { counts.set(status, to: total) }
        }
    }
}

/// One task's part in a ``StatusCensus``: counts the task's store when the processor starts and
/// on every interval, and withdraws when the processor closes.
struct StatusCensusShare {
    let census: StatusCensus
    let share: Int

    /// Joins `census`, reports the first count, and schedules the recount every `interval`.
    ///
    /// - Parameter tally: Counts the task's entities per status (reads the task's store).
    init<K, V>(census: StatusCensus, interval: Duration, context: ProcessorContext<K, V>,
               tally: @escaping () throws -> [String: Int]) throws {
        self.census = census
        share = census.join()
        let census = census, share = share
        census.report(share, try tally())
        context.schedule(every: interval, .wallClockTime) { _ in census.report(share, try tally()) }
    }

    /// Removes the task's counts.
    func withdraw() { census.withdraw(share) }
}
