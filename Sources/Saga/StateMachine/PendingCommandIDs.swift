import Flowstate
import Synchronization

/// The ids of the entities that may have commands in one task's pending-commands store, so the
/// ``IndexProcessor`` reads the store only for those (a store miss costs microseconds, and
/// almost every new entity has no command waiting).
///
/// It holds every id the store holds, and may hold more: an id is added before its command is
/// written (a rolled-back write leaves an id that merely costs a read), and removed only as the
/// last step of a record or punctuation that deleted its commands. It is rebuilt from the store
/// whenever a processor of the task initialises (after restoration, after a rebalance).
final class PendingCommandIDs: Sendable {
    private let ids = Mutex<Set<String>>([])

    /// Whether `entityID` may have pending commands.
    func mayHold(_ entityID: String) -> Bool { ids.withLock { $0.contains(entityID) } }

    /// Notes that a command for `entityID` is being stored.
    func insert(_ entityID: String) { ids.withLock { _ = $0.insert(entityID) } }

    /// Notes that `entityIDs` no longer have pending commands.
    func remove<S: Sequence<String>>(_ entityIDs: S) { ids.withLock { $0.subtract(entityIDs) } }

    /// Replaces the ids with the keys of `store`.
    func rebuild(from store: KeyValueStore<String, [PendingCommand]>) throws {
        let keys = Set(try store.all().map(\.key))
        ids.withLock { $0 = keys }
    }
}

/// A machine's ``PendingCommandIDs``, one per task: the task's ``CommandRouter`` and
/// ``IndexProcessor`` share it through their task's pending-commands store instance.
final class PendingCommandRegistry: Sendable {
    private let tasks = Mutex<[ObjectIdentifier: PendingCommandIDs]>([:])

    /// The ids of the task owning `store`, rebuilt from it now.
    func open(_ store: KeyValueStore<String, [PendingCommand]>) throws -> PendingCommandIDs {
        let ids = tasks.withLock { tasks in
            if let ids = tasks[ObjectIdentifier(store)] { return ids }
            let ids = PendingCommandIDs()
            tasks[ObjectIdentifier(store)] = ids
            return ids
        }
        try ids.rebuild(from: store)
        return ids
    }

    /// Forgets the ids of the task owning `store` (it closed).
    func close(_ store: KeyValueStore<String, [PendingCommand]>) {
        _ = tasks.withLock { $0.removeValue(forKey: ObjectIdentifier(store)) }
    }
}
