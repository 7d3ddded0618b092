import Foundation
import FlowstateRocksDB

/// Owns a task's stores and their local state: one RocksDB database per task (all persistent
/// stores, namespaced, plus the checkpoint), in-memory maps, and the atomic commit of overlays.
///
/// The checkpoint records, per changelog topic, the next changelog offset the local state
/// reflects, and per source topic, the next source offset; both are written in the same
/// `WriteBatch` as the overlay, so local state and checkpoint never disagree after a crash.
final class TaskStateManager {
    let taskID: TaskID
    let directory: String?
    private(set) var database: RocksDatabase?
    private(set) var stores: [TaskStore] = []

    /// Opens (or creates) the task's state.
    ///
    /// - Parameters:
    ///   - stateDirectory: `<state-dir>/<application-id>`; `nil` keeps persistent stores in memory
    ///     (build-time checks only).
    /// - Throws: ``FlowstateError`` when RocksDB cannot be opened (e.g. locked by another instance).
    init(taskID: TaskID, applicationID: String, stateDirectory: String?, definitions: [StoreDefinition],
         task: TaskContext) throws(FlowstateError) {
        self.taskID = taskID
        let needsDisk = definitions.contains { $0.kind == .persistent } && stateDirectory != nil
        directory = needsDisk ? stateDirectory.map { "\($0)/\(taskID)" } : nil
        if let directory {
            var options = RocksOptions()
            options.writeAheadLog = false  // the changelog and the checkpoint batch are the truth
            options.blockCacheSize = 1 << 20
            options.writeBufferSize = 4 << 20
            database = try rocks { try RocksDatabase(path: directory, options: options) }
        }
        for definition in definitions {
            let changelog = definition.logged ? Topology.changelogTopic(applicationID: applicationID, store: definition.name) : nil
            let base: StoreBase
            if definition.kind == .persistent, let database {
                base = .rocks(database, namespace: Array(definition.name.utf8) + [0])
            } else {
                base = .memory(MemoryMap())
            }
            stores.append(TaskStore(name: definition.name, changelogTopic: changelog, base: base, task: task))
        }
    }

    // MARK: - Checkpoint

    /// The next changelog offset the local state of `topic`'s store reflects, if checkpointed.
    func changelogCheckpoint(_ topic: String) throws(FlowstateError) -> Int64? {
        try readMeta(Self.metaKey("changelog", topic))
    }

    /// The next source offsets the local state reflects, by source topic.
    func sourceCheckpoint(topics: [String]) throws(FlowstateError) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for topic in topics { if let offset = try readMeta(Self.metaKey("source", topic)) { result[topic] = offset } }
        return result
    }

    /// Applies every store's overlay and the new checkpoint in one atomic write.
    ///
    /// - Parameters:
    ///   - changelogEnds: Per changelog topic, the next offset after this commit's last changelog record.
    ///   - sourceOffsets: Per source topic, the next offset to process.
    func commit(changelogEnds: [String: Int64], sourceOffsets: [String: Int64]) throws(FlowstateError) {
        let batch = database.map { _ in RocksWriteBatch() }
        var memoryWrites: [(MemoryMap, [ByteKey: [UInt8]?])] = []
        // In key order (meta keys, then stores by namespace, each by key): RocksDB's memtable
        // then inserts each key next to the previous one instead of searching its skip list.
        if let batch {
            var meta: [(key: [UInt8], value: [UInt8])] = []
            for (topic, offset) in changelogEnds where stores.contains(where: { $0.changelogTopic == topic && isPersistent($0) }) {
                meta.append((Self.metaKey("changelog", topic), Self.encode(offset)))
            }
            for (topic, offset) in sourceOffsets { meta.append((Self.metaKey("source", topic), Self.encode(offset))) }
            meta.sort { bytesPrecede($0.key, $1.key) }
            for entry in meta { batch.put(entry.key, entry.value) }
        }
        for store in stores.sorted(by: { bytesPrecede($0.namespace, $1.namespace) }) {
            let overlay = store.takeOverlay()
            switch store.base {
            case .rocks(_, let namespace):
                guard let batch else { continue }
                var fullKey = namespace  // reused: one buffer for every key of the store
                for (key, value) in overlay.sorted(by: { bytesPrecede($0.key.bytes, $1.key.bytes) }) {
                    fullKey.removeSubrange(namespace.count...)
                    fullKey.append(contentsOf: key.bytes)
                    if let value { batch.put(fullKey, value) } else { batch.delete(fullKey) }
                }
            case .memory(let map):
                memoryWrites.append((map, overlay))
            }
        }
        if let batch, let database {
            try rocks { try database.write(batch) }
        }
        for (map, overlay) in memoryWrites {
            for (key, value) in overlay { map.entries[key.bytes] = value }
        }
    }

    /// Writes restored changelog records straight to a store's base, with its checkpoint.
    func applyRestored(store: TaskStore, records: [(key: [UInt8], value: [UInt8]?)], nextOffset: Int64,
                       sourceOffsets: [String: Int64]) throws(FlowstateError) {
        store.baseChanged()
        switch store.base {
        case .memory(let map):
            for record in records { map.entries[record.key] = record.value }
        case .rocks(let database, let namespace):
            let batch = RocksWriteBatch()
            for record in records {
                if let value = record.value { batch.put(namespace + record.key, value) } else { batch.delete(namespace + record.key) }
            }
            if let topic = store.changelogTopic { batch.put(Self.metaKey("changelog", topic), Self.encode(nextOffset)) }
            for (topic, offset) in sourceOffsets { batch.put(Self.metaKey("source", topic), Self.encode(offset)) }
            try rocks { try database.write(batch) }
        }
    }

    func dropOverlays() { stores.forEach { $0.dropOverlay() } }

    func isPersistent(_ store: TaskStore) -> Bool {
        if case .rocks = store.base { true } else { false }
    }

    /// Closes the stores and the database.
    func close() {
        stores.forEach { $0.close() }
        database?.close()
        database = nil
    }

    /// Closes and deletes the task's local state (after corruption), so it restores from scratch.
    func wipe() {
        close()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: - Meta keys

    private func readMeta(_ key: [UInt8]) throws(FlowstateError) -> Int64? {
        guard let database else { return nil }
        guard let bytes = try rocks({ try database.get(key) }), bytes.count == 8 else { return nil }
        return bytes.reduce(0) { ($0 << 8) | Int64($1) }
    }

    /// Meta keys start with 0x00, which no store namespace can (store names are non-empty).
    static func metaKey(_ kind: String, _ topic: String) -> [UInt8] {
        [0] + Array(kind.utf8) + [0] + Array(topic.utf8)
    }

    static func encode(_ offset: Int64) -> [UInt8] {
        (0..<8).reversed().map { UInt8(truncatingIfNeeded: offset >> (Int64($0) * 8)) }
    }
}
