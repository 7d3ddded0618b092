/// Builds a ``Topology``: sources, processors, state stores and sinks, wired by name.
///
/// ```swift
/// let builder = TopologyBuilder()
/// builder.addStore(Stores.persistent("counts", key: .string, value: .binary(Int.self)))
/// builder.source("words", topics: ["words"], key: .string, value: .string)
///     .process("count", stores: ["counts"]) { CountProcessor() }
///     .to(topic: "word-counts", key: .string, value: .json(Int.self))
/// let topology = try builder.build()
/// ```
///
/// Nodes that share a store, or are connected, form one sub-topology; each sub-topology runs
/// as one task per partition of its source topics, which must therefore be co-partitioned.
public final class TopologyBuilder {
    var nodes: [NodeSpec] = []
    var stores: [StoreDefinition] = []
    var declaredPartitions: [String: Int] = [:]
    /// What happens to a record whose processing throws. Default: ``ProcessingErrorPolicy/fail``.
    public var processingErrorPolicy: ProcessingErrorPolicy = .fail

    /// Creates an empty builder.
    public init() {}

    /// Adds a source reading `topics` with the given serdes.
    ///
    /// - Parameters:
    ///   - name: A unique node name.
    ///   - topics: The topics to read; a topic may feed only one source.
    ///   - key: The key serde.
    ///   - value: The value serde; records that fail to decode go to the dead-letter topic.
    ///   - partitions: The topics' partition count, if known, so ``build()`` can check
    ///     co-partitioning; otherwise it is checked at start-up.
    /// - Returns: A handle to chain processors and sinks.
    @discardableResult
    public func addSource<K, V>(_ name: String, topics: [String], key: some Serde<K>, value: some Serde<V>,
                                partitions: Int? = nil) -> RecordStream<K, V> {
        if let partitions { for topic in topics { declaredPartitions[topic] = partitions } }
        let keySerde: any Serde<K> = key
        let valueSerde: any Serde<V> = value
        nodes.append(NodeSpec(
            name: name, kind: .source(topics: topics), parents: [], stores: [],
            inputTypes: nil, outputTypes: (typeName(K.self), typeName(V.self)),
            make: { task in SourceNode(name: name, keySerde: keySerde, valueSerde: valueSerde, task: task) }))
        return RecordStream(builder: self, name: name)
    }

    /// Adds a processor fed by `parents`.
    ///
    /// - Parameters:
    ///   - name: A unique node name.
    ///   - parents: Nodes whose output this processor receives (their output types must
    ///     match its input types).
    ///   - stores: Stores the processor may use.
    ///   - factory: Makes one processor instance per task.
    /// - Returns: A handle to chain further nodes.
    @discardableResult
    public func addProcessor<P: Processor & SendableMetatype>(_ name: String, parents: [String], stores: [String] = [],
                                           _ factory: @escaping @Sendable () -> P) -> RecordStream<P.OutKey, P.OutValue> {
        nodes.append(NodeSpec(
            name: name, kind: .processor, parents: parents, stores: stores,
            inputTypes: (typeName(P.InKey.self), typeName(P.InValue.self)),
            outputTypes: (typeName(P.OutKey.self), typeName(P.OutValue.self)),
            make: { task in ProcessorNode(name: name, processor: factory(), stores: stores, task: task) }))
        return RecordStream(builder: self, name: name)
    }

    /// Adds a sink writing to `topic`.
    ///
    /// - Parameters:
    ///   - name: A unique node name.
    ///   - topic: The destination topic.
    ///   - parents: Nodes whose output is written.
    ///   - key: The key serde.
    ///   - value: The value serde.
    ///   - partitioner: Chooses the partition; default: Kafka's murmur2 hash of the key bytes.
    public func addSink<K, V>(_ name: String, topic: String, parents: [String], key: some Serde<K>,
                              value: some Serde<V>, partitioner: SinkPartitioner<K, V> = .byKey) {
        let keySerde: any Serde<K> = key
        let valueSerde: any Serde<V> = value
        nodes.append(NodeSpec(
            name: name, kind: .sink(topic: topic), parents: parents, stores: [],
            inputTypes: (typeName(K.self), typeName(V.self)), outputTypes: nil,
            make: { task in
                SinkNode(name: name, topic: topic, keySerde: keySerde, valueSerde: valueSerde,
                         partitioner: partitioner, task: task)
            }))
    }

    /// Adds a state store; processors name it in `stores:` to use it.
    public func addStore(_ store: StoreDefinition) {
        stores.append(store)
    }

    /// Validates the graph and returns the topology.
    ///
    /// - Throws: ``TopologyError`` for an empty topology, duplicate or invalid names, unknown
    ///   parents or stores, mismatched types between a parent and a child, or sub-topologies
    ///   whose declared source partition counts differ.
    public func build() throws(TopologyError) -> Topology {
        try Topology(nodes: nodes, stores: stores, declaredPartitions: declaredPartitions,
                     processingErrorPolicy: processingErrorPolicy)
    }
}

/// A handle on a node's output, for chaining nodes fluently.
public struct RecordStream<Key, Value> {
    let builder: TopologyBuilder
    /// The node whose output this is.
    public let name: String

    /// Adds a processor fed by this node.
    ///
    /// - Returns: A handle on the processor's output.
    @discardableResult
    public func process<P: Processor & SendableMetatype>(_ name: String, stores: [String] = [], _ factory: @escaping @Sendable () -> P)
        -> RecordStream<P.OutKey, P.OutValue> where P.InKey == Key, P.InValue == Value {
        builder.addProcessor(name, parents: [self.name], stores: stores, factory)
    }

    /// Adds a closure processor fed by this node.
    @discardableResult
    public func process<OutKey, OutValue>(
        _ name: String, stores: [String] = [],
        _ body: @escaping @Sendable (Record<Key, Value>, ProcessorContext<OutKey, OutValue>) throws -> Void
    ) -> RecordStream<OutKey, OutValue> {
        builder.addProcessor(name, parents: [self.name], stores: stores) {
            ClosureProcessor<Key, Value, OutKey, OutValue>(body)
        }
    }

    /// Transforms every record.
    @discardableResult
    public func map<OutKey, OutValue>(
        _ name: String, _ transform: @escaping @Sendable (Record<Key, Value>) throws -> Record<OutKey, OutValue>
    ) -> RecordStream<OutKey, OutValue> {
        process(name) { (record: Record<Key, Value>, context: ProcessorContext<OutKey, OutValue>) in
            try context.forward(transform(record))
        }
    }

    /// Keeps the records for which `predicate` is true.
    @discardableResult
    public func filter(_ name: String, _ predicate: @escaping @Sendable (Record<Key, Value>) throws -> Bool)
        -> RecordStream<Key, Value> {
        process(name) { (record: Record<Key, Value>, context: ProcessorContext<Key, Value>) in
            if try predicate(record) { try context.forward(record) }
        }
    }

    /// Writes this node's output to `topic`.
    ///
    /// - Parameters:
    ///   - name: The sink's node name; default: `"<this node>-to-<topic>"`.
    ///   - topic: The destination topic.
    ///   - key: The key serde.
    ///   - value: The value serde.
    ///   - partitioner: Chooses the partition; default: by key.
    public func to(_ name: String? = nil, topic: String, key: some Serde<Key>, value: some Serde<Value>,
                   partitioner: SinkPartitioner<Key, Value> = .byKey) {
        builder.addSink(name ?? "\(self.name)-to-\(topic)", topic: topic, parents: [self.name], key: key, value: value,
                        partitioner: partitioner)
    }
}

/// How a sink chooses the partition of a record.
public struct SinkPartitioner<Key, Value>: Sendable {
    let choose: (@Sendable (Record<Key, Value>, _ partitionCount: Int32) -> Int32)?

    /// Kafka's default: the murmur2 hash of the serialized key, as Java clients compute it,
    /// so records with equal keys land in equal partitions of co-partitioned topics.
    public static var byKey: SinkPartitioner { SinkPartitioner(choose: nil) }

    /// A custom choice from the record and the topic's partition count (result taken modulo the count).
    public static func custom(_ choose: @escaping @Sendable (Record<Key, Value>, Int32) -> Int32) -> SinkPartitioner {
        SinkPartitioner(choose: choose)
    }
}
