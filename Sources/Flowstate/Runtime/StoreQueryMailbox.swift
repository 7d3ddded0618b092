import Synchronization

/// Interactive queries waiting for a stream thread, which answers them between poll loops,
/// on its own thread, from committed state (read-committed: the open transaction's writes are
/// not visible).
final class StoreQueryMailbox: Sendable {
    /// What a stream thread answers.
    enum Answer: Sendable {
        /// The committed value's bytes, or `nil` when the key has none.
        case value([UInt8]?)
        /// A page of the task's committed entries.
        case page(StoreBytePage)
        /// The thread does not host the task (any more).
        case notHosted
        /// The store could not be read.
        case failed(FlowstateError)
    }

    /// What is asked: one key's value, or a page of entries.
    enum Kind: Sendable {
        case key([UInt8])
        case page(PageQuery)
    }

    /// A page of a task's entries, in key bytes (see ``StorePageRequest``).
    struct PageQuery: Sendable {
        var lower: [UInt8]?
        var upper: [UInt8]?
        var after: [UInt8]?
        var limit: Int
        var budget: Int
        var match: StoreValueMatch?
    }

    struct Query: Sendable {
        let store: String
        let task: TaskID
        let kind: Kind
        let answer: @Sendable (Answer) -> Void
    }

    private let state = Mutex<(pending: [Query], closed: Bool)>(([], false))

    /// Queues a query; once the mailbox is closed, answers ``Answer/notHosted`` at once.
    func post(_ query: Query) {
        let accepted = state.withLock { state in
            if state.closed { return false }
            state.pending.append(query)
            return true
        }
        if !accepted { query.answer(.notHosted) }
    }

    /// Takes the queued queries (the stream thread answers them).
    func take() -> [Query] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// Stops accepting queries and answers the queued ones ``Answer/notHosted``.
    func close() {
        let pending = state.withLock { state in
            state.closed = true
            defer { state.pending = [] }
            return state.pending
        }
        for query in pending { query.answer(.notHosted) }
    }
}
