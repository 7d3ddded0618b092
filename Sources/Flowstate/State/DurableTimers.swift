/// A timer that came due: its key, payload and due time.
public struct DurableTimer<Key, Payload> {
    /// The timer's key (one timer per key).
    public var key: Key
    /// What the timer carries.
    public var payload: Payload
    /// When it was due (wall-clock milliseconds).
    public var dueTime: Int64
}

/// Per-key timers kept in a state store, so they survive restarts and move with their task.
///
/// Declare the store with ``Stores/timers(_:)``, get the timers in a processor's
/// `initialize` with ``ProcessorContext/durableTimers(_:key:payload:checkEvery:onFire:)``.
/// A wall-clock punctuation fires due timers in due-time order; `onFire` runs inside the
/// task's transaction, so a timer's effects and its removal commit together.
///
/// Storage: `0x64 'd' | due (8 bytes, big-endian) | key` → payload, and `0x6B 'k' | key` → due,
/// so firing is a range scan and cancelling is a point lookup.
public final class DurableTimers<Key: Codable, Payload: Codable> {
    let store: KeyValueStore<[UInt8], [UInt8]>

    init(store: KeyValueStore<[UInt8], [UInt8]>) { self.store = store }

    /// Schedules (or reschedules) the timer of `key`.
    ///
    /// - Throws: ``FlowstateError`` when the key or payload cannot be encoded.
    public func schedule(key: Key, at dueTime: Int64, payload: Payload) throws(FlowstateError) {
        let keyBytes = try BinaryCodec.encode(key)
        try cancel(encodedKey: keyBytes)
        try store.put(Self.dueEntry(dueTime, keyBytes), BinaryCodec.encode(payload))
        try store.put([0x6B] + keyBytes, Self.encode(dueTime))
    }

    /// Cancels the timer of `key`, if any.
    ///
    /// - Throws: ``FlowstateError`` when the key cannot be encoded.
    public func cancel(key: Key) throws(FlowstateError) {
        try cancel(encodedKey: BinaryCodec.encode(key))
    }

    /// The due time of `key`'s timer, if one is scheduled.
    ///
    /// - Throws: ``FlowstateError`` when the key cannot be encoded.
    public func dueTime(of key: Key) throws(FlowstateError) -> Int64? {
        guard let due = try store.get([0x6B] + BinaryCodec.encode(key)) else { return nil }
        return Self.decode(due)
    }

    /// Removes and returns the timers due at `now`, earliest first.
    func takeDue(now: Int64) throws(FlowstateError) -> [DurableTimer<Key, Payload>] {
        let due = try store.range(from: [0x64], to: Self.dueEntry(now + 1, []))
        var timers: [DurableTimer<Key, Payload>] = []
        for entry in due {
            let dueTime = Self.decode(Array(entry.key[1..<9]))
            let keyBytes = Array(entry.key[9...])
            timers.append(DurableTimer(key: try BinaryCodec.decode(Key.self, from: keyBytes),
                                       payload: try BinaryCodec.decode(Payload.self, from: entry.value), dueTime: dueTime))
            try store.delete(entry.key)
            try store.delete([0x6B] + keyBytes)
        }
        return timers
    }

    private func cancel(encodedKey: [UInt8]) throws(FlowstateError) {
        guard let due = try store.get([0x6B] + encodedKey) else { return }
        try store.delete(Self.dueEntry(Self.decode(due), encodedKey))
        try store.delete([0x6B] + encodedKey)
    }

    static func dueEntry(_ dueTime: Int64, _ key: [UInt8]) -> [UInt8] { [0x64] + encode(dueTime) + key }

    static func encode(_ time: Int64) -> [UInt8] {
        let biased = UInt64(bitPattern: time) ^ (1 << 63)  // order negative times before positive
        return (0..<8).reversed().map { UInt8(truncatingIfNeeded: biased >> (UInt64($0) * 8)) }
    }

    static func decode(_ bytes: [UInt8]) -> Int64 {
        Int64(bitPattern: bytes.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } ^ (1 << 63))
    }
}

extension Stores {
    /// A persistent, logged store for ``DurableTimers``.
    public static func timers(_ name: String) -> StoreDefinition {
        persistent(name, key: BytesSerde(), value: BytesSerde())
    }
}

extension ProcessorContext {
    /// The durable timers kept in store `name` (declared with ``Stores/timers(_:)`` and
    /// connected to this processor), fired by a wall-clock punctuation every `checkEvery`.
    ///
    /// Call once, from `initialize`.
    /// - Throws: ``TopologyError`` when the store is not connected or not a timer store.
    public func durableTimers<K: Codable, P: Codable>(
        _ name: String, key: K.Type, payload: P.Type, checkEvery: Duration = .seconds(1),
        onFire: @escaping (DurableTimer<K, P>) throws -> Void
    ) throws(TopologyError) -> DurableTimers<K, P> {
        let timers = DurableTimers<K, P>(store: try keyValueStore(name, key: [UInt8].self, value: [UInt8].self))
        schedule(every: checkEvery, .wallClockTime) { now in
            for timer in try timers.takeDue(now: now) { try onFire(timer) }
        }
        return timers
    }

    /// The durable timers kept in store `name` for scheduling and cancelling only: another
    /// processor of the same task fires them (with
    /// ``durableTimers(_:key:payload:checkEvery:onFire:)`` on the same store).
    ///
    /// - Throws: ``TopologyError`` when the store is not connected or not a timer store.
    public func durableTimers<K: Codable, P: Codable>(_ name: String, key: K.Type, payload: P.Type)
        throws(TopologyError) -> DurableTimers<K, P> {
        DurableTimers<K, P>(store: try keyValueStore(name, key: [UInt8].self, value: [UInt8].self))
    }
}
