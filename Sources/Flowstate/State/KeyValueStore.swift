/// A key-value state store, scoped to one task.
///
/// Writes are transactional: they are visible to reads at once, go to the changelog in the
/// current Kafka transaction, and reach local disk only after that transaction commits.
/// If processing a record throws, that record's writes are undone.
///
/// - Important: Use a store only from the processor (and thread) it was given to.
public final class KeyValueStore<Key, Value> {
    let bytes: TaskStore
    let keySerde: any Serde<Key>
    let valueSerde: any Serde<Value>
    /// Decoded values of keys recently read or written, so a read after a read or write of the
    /// same key neither looks it up nor decodes it: the slot in ``values`` of each key, `-1` for
    /// a key known absent. (Not `[ByteKey: Value?]`: a dictionary of a generic value is used
    /// unspecialised, copying keys through value witnesses on every probe.) Valid while the byte
    /// store's generation is `cacheGeneration`; only for value types (a class instance handed
    /// out could be changed without a put).
    ///
    /// The cache is used by the task's thread alone: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var slots: [ByteKey: Int] = [:]
    @exclusivity(unchecked) private var values: [Value] = []
    @exclusivity(unchecked) private var cacheGeneration: Int
    /// The last `String` key encoded and its encoding (a processor typically reads a key and
    /// then writes it): `String` is the common key type and compares without a cast.
    @exclusivity(unchecked) private var lastStringKey: (key: String, encoded: ByteKey)?
    private let caches: Bool
    /// Entries kept before the cache starts over.
    static var cacheLimit: Int { 16_384 }

    init(bytes: TaskStore, keySerde: any Serde<Key>, valueSerde: any Serde<Value>) {
        self.bytes = bytes
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        cacheGeneration = bytes.generation
        caches = !(Value.self is AnyObject.Type)
    }

    /// The key's bytes, as the key serde writes them.
    private func encode(_ key: Key) throws(FlowstateError) -> ByteKey {
        guard Key.self == String.self else { return ByteKey(try keySerde.serialize(key)) }
        let string = unsafeBitCast(key, to: String.self)
        if let last = lastStringKey, last.key == string { return last.encoded }
        let encoded = ByteKey(try keySerde.serialize(key))
        lastStringKey = (string, encoded)
        return encoded
    }

    /// Empties the cache when the store changed underneath or the cache is full.
    private func checkCache() {
        if cacheGeneration != bytes.generation || slots.count >= Self.cacheLimit || values.count >= Self.cacheLimit {
            slots.removeAll(keepingCapacity: cacheGeneration == bytes.generation)
            values.removeAll(keepingCapacity: cacheGeneration == bytes.generation)
            cacheGeneration = bytes.generation
        }
    }

    /// Caches `value` for `key`. (Separate from ``rememberAbsent(_:)``: no `Value?`, whose
    /// generic metadata costs a lookup on every use.)
    private func remember(_ key: ByteKey, _ value: Value) {
        guard caches else { return }
        checkCache()
        var appends = false
        Self.point(&slots[key, default: -1], at: value, next: values.count, in: &values, appends: &appends)  // one lookup
        if appends { values.append(value) }
    }

    /// Caches that `key` has no value.
    private func rememberAbsent(_ key: ByteKey) {
        guard caches else { return }
        checkCache()
        slots[key] = -1
    }

    /// Points a key's slot at `value`: overwritten in place, or to be appended at `next`.
    private static func point(_ slot: inout Int, at value: Value, next: Int, in values: inout [Value], appends: inout Bool) {
        if slot >= 0 {
            values[slot] = value
        } else {
            slot = next
            appends = true
        }
    }

    /// The store's name.
    public var name: String { bytes.name }

    /// The value for `key`, or `nil`.
    ///
    /// - Complexity: O(1) for pending writes, O(log n) from RocksDB.
    /// - Throws: ``FlowstateError`` when the key cannot be encoded or the store is closed;
    ///   ``FlowstateError/Code/undecodableStoredValue`` (naming the store, the key, the type and
    ///   the field) when the stored value cannot be decoded, which stops the stream thread.
    public func get(_ key: Key) throws(FlowstateError) -> Value? {
        let encoded = try encode(key)
        if caches {  // (not through a `Value??`: nesting a generic Optional costs a metadata lookup)
            checkCache()  // closing moves the generation: never a hit after it
            if let slot = slots[encoded] { return slot < 0 ? nil : values[slot] }
        }
        guard let value = try bytes.get(encoded) else {
            rememberAbsent(encoded)
            return nil
        }
        let decoded = try decodeValue(value, key: key)
        remember(encoded, decoded)
        return decoded
    }

    /// Sets the value for `key` and writes it to the changelog.
    ///
    /// - Complexity: O(1) amortised (the write is buffered until commit).
    /// - Throws: ``FlowstateError`` when the key or value cannot be encoded or the store is closed.
    public func put(_ key: Key, _ value: Value) throws(FlowstateError) {
        let encoded = try encode(key)
        try bytes.put(encoded, valueSerde.serialize(value))
        remember(encoded, value)
    }

    /// Deletes `key` and writes a tombstone to the changelog.
    ///
    /// - Complexity: O(1) amortised.
    /// - Throws: ``FlowstateError`` when the key cannot be encoded or the store is closed.
    public func delete(_ key: Key) throws(FlowstateError) {
        let encoded = try encode(key)
        try bytes.put(encoded, nil)
        rememberAbsent(encoded)
    }

    /// Entries with `from ≤ key < to` in the byte order of encoded keys (`nil` bounds are open).
    ///
    /// - Complexity: O(k log k) for k entries in range.
    /// - Throws: ``FlowstateError`` on encoding failure or a closed store;
    ///   ``FlowstateError/Code/undecodableStoredValue`` when a stored key or value cannot be decoded.
    public func range(from: Key? = nil, to: Key? = nil) throws(FlowstateError) -> [(key: Key, value: Value)] {
        var lower: [UInt8]?
        var upper: [UInt8]?
        if let from { lower = try keySerde.serialize(from) }
        if let to { upper = try keySerde.serialize(to) }
        return try decode(bytes.range(from: lower, to: upper))
    }

    /// Entries whose encoded key starts with the encoding of `prefix` (e.g. a string prefix with ``StringSerde``).
    ///
    /// - Throws: ``FlowstateError`` on encoding/decoding failure or a closed store.
    public func prefixScan(_ prefix: Key) throws(FlowstateError) -> [(key: Key, value: Value)] {
        let encoded = try keySerde.serialize(prefix)
        return try decode(bytes.range(from: encoded, to: prefixSuccessor(encoded)))
    }

    /// Every entry, in key order.
    ///
    /// - Throws: ``FlowstateError`` on decoding failure or a closed store.
    public func all() throws(FlowstateError) -> [(key: Key, value: Value)] {
        try decode(bytes.range(from: nil, to: nil))
    }

    /// The number of keys.
    ///
    /// - Complexity: O(1) for in-memory stores, O(n) for persistent ones (a namespace scan).
    /// - Throws: ``FlowstateError`` when the store is closed.
    public func approximateCount() throws(FlowstateError) -> Int {
        try bytes.approximateCount()
    }

    private func decode(_ entries: [(key: [UInt8], value: [UInt8])]) throws(FlowstateError) -> [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        result.reserveCapacity(entries.count)
        for entry in entries {
            let key: Key
            do {
                key = try keySerde.deserialize(entry.key)
            } catch {
                throw StoredValueFailure.error(store: name, key: StoredValueFailure.hex(entry.key), error)
            }
            result.append((key, try decodeValue(entry.value, key: key)))
        }
        return result
    }

    /// Decodes a stored value; a failure is ``FlowstateError/Code/undecodableStoredValue``
    /// naming the store and the key.
    private func decodeValue(_ value: [UInt8], key: Key) throws(FlowstateError) -> Value {
        do {
            return try valueSerde.deserialize(value)
        } catch {
            throw StoredValueFailure.error(store: name, key: StoredValueFailure.printable(key), error)
        }
    }
}

/// The smallest byte string greater than every string starting with `prefix`, or `nil` if none.
func prefixSuccessor(_ prefix: [UInt8]) -> [UInt8]? {
    var bytes = prefix
    while let last = bytes.last {
        if last < 0xFF {
            bytes[bytes.count - 1] = last + 1
            return bytes
        }
        bytes.removeLast()
    }
    return nil
}

/// Encoded key bytes as a dictionary key, hashed once in one pass (`[UInt8]` hashes byte by
/// byte): a key used in several dictionaries (a store's cache, its overlay) is hashed once.
///
/// Keys of up to 16 bytes (most ids) are also kept inline, so comparing two of them in a
/// dictionary probe does not load the arrays' storage (a cache miss per probe in a large store).
struct ByteKey: Hashable {
    let bytes: [UInt8]
    /// The bytes' hash (`Hasher`, randomly seeded per process).
    let hash: Int
    /// The first 16 bytes, zero-padded (the whole key when `count <= 16`).
    private let head: (UInt64, UInt64)
    /// `bytes.count`, inline.
    private let count: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var hasher = Hasher()
        var head: (UInt64, UInt64) = (0, 0)
        bytes.withUnsafeBytes { buffer in
            hasher.combine(bytes: buffer)
            withUnsafeMutableBytes(of: &head) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer.prefix(16))) }
        }
        hash = hasher.finalize()
        self.head = head
        count = bytes.count
    }

    static func == (lhs: ByteKey, rhs: ByteKey) -> Bool {
        guard lhs.hash == rhs.hash, lhs.count == rhs.count, lhs.head == rhs.head else { return false }
        return lhs.count <= 16 || lhs.bytes == rhs.bytes
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}
