/// Declares a key-value state store for ``TopologyBuilder/addStore(_:)``.
///
/// Made with ``Stores``. Persistent stores live in RocksDB under the application's state
/// directory; in-memory stores are rebuilt from their changelog on every start. A logged
/// store writes every change to `<application-id>-<store>-changelog` (compacted).
public struct StoreDefinition: Sendable {
    /// Where a store keeps its data.
    public enum Kind: Sendable, Hashable {
        /// RocksDB on local disk.
        case persistent
        /// A sorted in-memory map.
        case inMemory
    }

    /// The store's name (part of its changelog topic's name).
    public let name: String
    /// Where the store keeps its data.
    public let kind: Kind
    /// Whether changes go to a changelog topic.
    public let logged: Bool
    let keyTypeName: String
    let valueTypeName: String
    let makeTyped: @Sendable (TaskStore) -> AnyObject
    /// Turns interactive-query keys and values into bytes and JSON.
    var queryCodec = StoreQueryCodec.unavailable
    /// The store that maps this store's keys to partition keys, when its keys are not the keys
    /// its task is partitioned by (see ``partitioned(byValueIn:)``); `nil`: the key itself.
    public private(set) var partitionKeyStore: String?

    /// This store, declared as keyed by something other than its task's partition key.
    ///
    /// Interactive queries find a key's task by hashing the key like the input records, which
    /// only works when the store is keyed like its input. A store keyed by an entity id whose
    /// task is partitioned by another key (statements stored by id, processed by organisation)
    /// names an index store here: a store of the same topology, keyed and partitioned by this
    /// store's key, whose `String` value is the partition key. A query then reads the index
    /// first (on whichever instance hosts it) and locates the key by its partition key.
    ///
    /// - Parameter store: The index store's name; the topology checks it exists and holds `String`s.
    public func partitioned(byValueIn store: String) -> StoreDefinition {
        var copy = self
        copy.partitionKeyStore = store
        return copy
    }
}

/// Factories for ``StoreDefinition``s.
public enum Stores {
    /// A RocksDB key-value store with a changelog (unless `changelog` is `false`).
    ///
    /// - Parameters:
    ///   - name: The store's name: 1–200 characters of `[a-zA-Z0-9._-]`.
    ///   - key: The key serde; range scans follow the byte order of encoded keys.
    ///   - value: The value serde; prefer a compact one (``Serde/binary(_:)``) inside stores.
    ///   - changelog: Whether to back the store with a changelog topic. Default: `true`.
    public static func persistent<K, V>(_ name: String, key: some Serde<K>, value: some Serde<V>,
                                        changelog: Bool = true) -> StoreDefinition {
        make(name, kind: .persistent, key: key, value: value, changelog: changelog)
    }

    /// An in-memory key-value store with a changelog (unless `changelog` is `false`).
    public static func inMemory<K, V>(_ name: String, key: some Serde<K>, value: some Serde<V>,
                                      changelog: Bool = true) -> StoreDefinition {
        make(name, kind: .inMemory, key: key, value: value, changelog: changelog)
    }

    private static func make<K, V>(_ name: String, kind: StoreDefinition.Kind, key: some Serde<K>, value: some Serde<V>,
                                   changelog: Bool) -> StoreDefinition {
        let keySerde: any Serde<K> = key
        let valueSerde: any Serde<V> = value
        var definition = StoreDefinition(name: name, kind: kind, logged: changelog, keyTypeName: typeName(K.self),
                                         valueTypeName: typeName(V.self)) { bytes in
            KeyValueStore<K, V>(bytes: bytes, keySerde: keySerde, valueSerde: valueSerde)
        }
        definition.queryCodec = StoreQueryCodec(keySerde: keySerde, valueSerde: valueSerde)
        return definition
    }
}
