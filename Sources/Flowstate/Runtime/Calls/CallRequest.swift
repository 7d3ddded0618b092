/// Identifies one suspended call: the task, the task's epoch when it started (a rewind or close
/// starts a new one and makes older calls' results void) and a serial number.
package struct CallID: Hashable, Sendable {
    package let task: TaskID
    package let epoch: Int
    package let serial: Int
}

/// A call a record suspended on, to run off the stream thread.
package struct CallRequest: Sendable {
    package let id: CallID
    /// The worker or endpoint, for metrics and messages.
    package let name: String
    package let timeout: Duration
    package let call: @Sendable () async throws -> any Sendable
}

/// A finished call: its result (or ``CallTimeout``) and how long it ran.
package struct CallCompletion: Sendable {
    package let id: CallID
    package let name: String
    package let result: Result<any Sendable, any Error>
    package let duration: Duration

    package init(id: CallID, name: String, result: Result<any Sendable, any Error>, duration: Duration) {
        self.id = id
        self.name = name
        self.result = result
        self.duration = duration
    }
}

/// What a record asked for when it suspended: the call and the continuation that takes its
/// result on the stream thread.
struct Suspension {
    let name: String
    let key: String
    let timeout: Duration
    let call: @Sendable () async throws -> any Sendable
    let resume: (Result<any Sendable, any Error>) throws -> Void
}

/// Thrown by ``ProcessorContext/order(by:)`` when an earlier record of the key still waits on a
/// call: the engine undoes the record's effects and queues it behind the key.
struct RecordDeferral: Error {
    let key: String
}
