/// A named step boundary inside a stream thread where a test harness may inject a fault.
///
/// Production threads have no injector, so reaching a point costs one `nil` check.
package enum FaultPoint: String, CaseIterable, Sendable, Comparable {
    /// Before a record is handed to the producer.
    case beforeSend = "before-send"
    /// After a record was handed to the producer.
    case afterSend = "after-send"
    /// Before `commitTransaction` (offsets are already in the transaction).
    case beforeCommitTransaction = "before-commit-transaction"
    /// After `commitTransaction` returned, before local state is updated.
    case afterCommitTransaction = "after-commit-transaction"
    /// Before one task's overlay and checkpoint are written to RocksDB in one batch.
    case beforeStateWrite = "before-state-write"
    /// After one task's overlay and checkpoint were written (others may still be pending).
    case afterStateWrite = "after-state-write"
    /// After one batch of changelog records was restored.
    case duringRestoration = "during-restoration"
    /// Inside a rebalance callback (assigned, revoked or lost), before it acts.
    case duringRebalance = "during-rebalance"

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Consulted by a stream thread at every ``FaultPoint``; a deterministic simulation uses it to
/// crash (throw) or pause (run the rest of the world) an instance at a chosen step boundary.
package protocol FaultInjector: AnyObject {
    /// Called when the thread reaches `point`.
    ///
    /// - Throws: Any error; it propagates like a failure of the step, without cleanup of the
    ///   thread's Kafka state (the harness then abandons the instance).
    func reach(_ point: FaultPoint) throws
}
