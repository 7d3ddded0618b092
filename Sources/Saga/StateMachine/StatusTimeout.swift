/// A timed transition waiting in the machine's timeout timers, keyed by entity id.
struct StatusTimeout: Codable, Sendable, Hashable {
    /// The status the timed transition leaves.
    var status: String
    /// The entity's transitions when it entered the status; with the status, what makes the
    /// timer stale (the entity left and came back).
    var transitions: Int
}
