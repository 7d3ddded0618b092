import FlowstateRocksDB
import Foundation

/// Where a task's store keeps committed data.
enum StoreBase {
    /// A namespace (`<store name> 0x00`) inside the task's RocksDB database.
    case rocks(RocksDatabase, namespace: [UInt8])
    /// A map owned by the store.
    case memory(MemoryMap)
}

/// The committed entries of an in-memory store.
final class MemoryMap {
    var entries: [[UInt8]: [UInt8]] = [:]
}

/// One store of one task, in bytes: committed data (``StoreBase``) under a transactional
/// overlay of the writes not yet committed to Kafka, with per-record undo.
///
/// Reads see the overlay first. Every write is also sent to the changelog (if logged) through
/// the task, in the same transaction as the outputs. ``TaskStateManager`` applies the overlay
/// to the base only after the Kafka commit.
final class TaskStore {
    let name: String
    let changelogTopic: String?
    let base: StoreBase
    /// The prefix of the store's keys in the task's database (empty for in-memory stores).
    var namespace: [UInt8] {
        if case .rocks(_, let namespace) = base { namespace } else { [] }
    }
    /// Keyed by ``ByteKey`` (hashed once, in one pass). The overlay and the undo log are used
    /// by the task's thread alone: no dynamic exclusivity checks.
    @exclusivity(unchecked) private(set) var overlay: [ByteKey: [UInt8]?] = [:]
    @exclusivity(unchecked) private var undo: [UndoEntry] = []
    private(set) var isClosed = false
    /// Changes whenever the store's content changes other than by ``put(_:_:)`` (an undone
    /// record, dropped overlay, restored records, closing): caches of decoded values over
    /// this store are stale when it moved.
    private(set) var generation = 0
    unowned let task: TaskContext

    init(name: String, changelogTopic: String?, base: StoreBase, task: TaskContext) {
        self.name = name
        self.changelogTopic = changelogTopic
        self.base = base
        self.task = task
    }

    func get(_ key: [UInt8]) throws(FlowstateError) -> [UInt8]? {
        try get(ByteKey(key))
    }

    func get(_ key: ByteKey) throws(FlowstateError) -> [UInt8]? {
        try ensureOpen()
        if let pending = overlay[key] { return pending }
        return try baseGet(key.bytes)
    }

    /// Writes `value` (`nil` deletes) and logs it to the changelog.
    func put(_ key: [UInt8], _ value: [UInt8]?) throws(FlowstateError) {
        try put(ByteKey(key), value)
    }

    /// Writes `value` (`nil` deletes) and logs it to the changelog.
    func put(_ key: ByteKey, _ value: [UInt8]?) throws(FlowstateError) {
        try ensureOpen()
        undo.append(UndoEntry(key: key, previous: overlay.updateValue(value, forKey: key)))
        if let changelogTopic {
            task.logChange(topic: changelogTopic, key: key.bytes, value: value)
        }
    }

    func range(from lower: [UInt8]?, to upper: [UInt8]?) throws(FlowstateError) -> [(key: [UInt8], value: [UInt8])] {
        try ensureOpen()
        let committed = try baseRange(from: lower, to: upper)
        guard !overlay.isEmpty else { return committed }
        var merged = Dictionary(committed.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        for (key, value) in overlay where Self.inRange(key.bytes, lower, upper) {
            if let value { merged[key.bytes] = value } else { merged.removeValue(forKey: key.bytes) }
        }
        return merged.map { (key: $0.key, value: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    func approximateCount() throws(FlowstateError) -> Int {
        try ensureOpen()
        var count: Int
        switch base {
        case .memory(let map): count = map.entries.count
        case .rocks:
            // One database holds every store of the task (and the checkpoint), so RocksDB's
            // estimate is not per store: count the store's namespace.
            count = try baseRange(from: nil, to: nil).count
        }
        for (key, value) in overlay {
            let exists = try baseGet(key.bytes) != nil
            if value != nil, !exists { count += 1 } else if value == nil, exists { count -= 1 }
        }
        return max(0, count)
    }

    // MARK: - Record boundaries and transactions

    /// Forgets the undo log: the current record's writes stand.
    func commitRecord() { if !undo.isEmpty { undo.removeAll(keepingCapacity: true) } }

    /// Undoes the current record's writes.
    func rollbackRecord() {
        if !undo.isEmpty { generation &+= 1 }
        for entry in undo.reversed() {
            if let previous = entry.previous { overlay[entry.key] = previous } else { overlay.removeValue(forKey: entry.key) }
        }
        undo.removeAll(keepingCapacity: true)
    }

    /// Hands the overlay over for commit and starts a new, empty one.
    func takeOverlay() -> [ByteKey: [UInt8]?] {
        let taken = overlay
        overlay = Dictionary(minimumCapacity: taken.count)  // the next commit likely writes as many keys
        return taken
    }

    /// Drops uncommitted writes (after an abort, or closing a task dirty).
    func dropOverlay() {
        overlay = [:]
        undo.removeAll()
        generation &+= 1
    }

    /// Marks the base as changed underneath (restored records).
    func baseChanged() { generation &+= 1 }

    func close() {
        isClosed = true
        generation &+= 1
    }

    // MARK: - Base access

    func baseGet(_ key: [UInt8]) throws(FlowstateError) -> [UInt8]? {
        switch base {
        case .memory(let map): return map.entries[key]
        case .rocks(let database, let namespace):
            return try rocks { try database.get(namespace + key) }
        }
    }

    func baseRange(from lower: [UInt8]?, to upper: [UInt8]?) throws(FlowstateError) -> [(key: [UInt8], value: [UInt8])] {
        switch base {
        case .memory(let map):
            return map.entries.filter { Self.inRange($0.key, lower, upper) }
                .map { (key: $0.key, value: $0.value) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
        case .rocks(let database, let namespace):
            let start = namespace + (lower ?? [])
            let end = upper.map { namespace + $0 } ?? prefixSuccessor(namespace)
            let entries = try rocks { try database.scan(from: start, to: end) }
            return entries.map { (key: Array($0.key.dropFirst(namespace.count)), value: $0.value) }
        }
    }

    /// A page of committed entries with keys in `[lower, upper)` after `after`: at most `limit`
    /// entries that `accept` turns into an entry, examining at most `budget` (an iterator over
    /// the range, never a copy of it).
    func basePage(lower: [UInt8]?, upper: [UInt8]?, after: [UInt8]?, limit: Int, budget: Int,
                  accept: ([UInt8], [UInt8]) throws(FlowstateError) -> StoreEntry?) throws(FlowstateError) -> StoreBytePage {
        var start = lower
        if let after, lower.map({ !after.lexicographicallyPrecedes($0) }) ?? true { start = after + [0] }
        var entries: [StoreBytePage.Entry] = []
        var examined = 0
        var lastExamined: [UInt8]?
        func take(_ key: [UInt8], _ value: [UInt8]) throws(FlowstateError) -> Bool {
            if entries.count == limit || examined == budget { return false }  // more follows: stop before it
            examined += 1
            lastExamined = key
            if let entry = try accept(key, value) { entries.append(StoreBytePage.Entry(key: key, entry: entry)) }
            return true
        }
        switch base {
        case .memory(let map):
            let inRange = map.entries.filter { Self.inRange($0.key, start, upper) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for (key, value) in inRange where !(try take(key, value)) {
                return StoreBytePage(entries: entries, scannedTo: lastExamined)
            }
        case .rocks(let database, let namespace):
            let iterator = try rocks { try database.makeIterator(from: namespace + (start ?? []),
                                                                  to: upper.map { namespace + $0 } ?? prefixSuccessor(namespace)) }
            defer { iterator.close() }
            while let (key, value) = try rocks({ try iterator.next() }) {
                if !(try take(Array(key.dropFirst(namespace.count)), value)) {
                    return StoreBytePage(entries: entries, scannedTo: lastExamined)
                }
            }
        }
        return StoreBytePage(entries: entries, scannedTo: nil)
    }

    static func inRange(_ key: [UInt8], _ lower: [UInt8]?, _ upper: [UInt8]?) -> Bool {
        if let lower, key.lexicographicallyPrecedes(lower) { return false }
        if let upper, !key.lexicographicallyPrecedes(upper) { return false }
        return true
    }

    private func ensureOpen() throws(FlowstateError) {
        if isClosed { throw FlowstateError(.storeClosed, "store \(name) of task \(task.taskID) is closed") }
    }
}

/// A write of the current record: the key and its overlay entry before (`nil`: none).
///
/// (A struct, not a tuple: arrays of tuples copy and destroy through the runtime's generic tuple witnesses.)
struct UndoEntry {
    let key: ByteKey
    let previous: [UInt8]??
}

/// Whether `a` sorts before `b` byte-wise (RocksDB's default order: unsigned bytes, a prefix first).
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    let common = min(a.count, b.count)
    let order = a.withUnsafeBytes { a in b.withUnsafeBytes { b in common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common) } }
    return order != 0 ? order < 0 : a.count < b.count
}

/// Runs a RocksDB call, turning its error into a ``FlowstateError``.
func rocks<T>(_ body: () throws -> T) throws(FlowstateError) -> T {
    let result: Result<T, any Error> = Result { try body() }
    switch result {
    case .success(let value):
        return value
    case .failure(let error):
        throw storeFailure(error)
    }
}

private func storeFailure(_ error: any Error) -> FlowstateError {
    guard let rocksError = error as? RocksDBError else { return FlowstateError(.fatal, "RocksDB: \(error)") }
    let code: FlowstateError.Code = rocksError.code == .corruption ? .taskCorrupted : .fatal
    return FlowstateError(code, "RocksDB: \(rocksError.message)", underlying: rocksError)
}
