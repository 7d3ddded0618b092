import FlowstateKafka

/// A node instantiated for one task.
protocol RuntimeNode: AnyObject {
    var name: String { get }
    /// The node's input as a closure over `Record<K, V>`, or `nil` if it takes other types (or none).
    func input<K, V>(_ key: K.Type, _ value: V.Type) -> ((Record<K, V>) throws -> Void)?
    /// Adds `child` to the node's outputs.
    func connect(to child: any RuntimeNode) throws(TopologyError)
    /// Called once before processing.
    func initialize() throws
    /// Called once when the task closes.
    func close()
}

/// A node that turns raw Kafka records into typed ones.
protocol SourceInput: AnyObject {
    /// Decodes the record; throws ``FlowstateError`` `.deserialization` when it cannot.
    func process(_ raw: KafkaConsumerRecord) throws
}

/// Casts a typed input closure when the requested types are the node's input types.
func typedInput<InK, InV, K, V>(_ body: @escaping (Record<InK, InV>) throws -> Void,
                                as key: K.Type, _ value: V.Type) -> ((Record<K, V>) throws -> Void)? {
    guard InK.self == K.self, InV.self == V.self else { return nil }
    return unsafeBitCast(body, to: ((Record<K, V>) throws -> Void).self)
}

/// Adds a child's input to a context's children, checking the types.
func connect<K, V>(_ context: ProcessorContext<K, V>, parent: String, child: any RuntimeNode) throws(TopologyError) {
    guard let input = child.input(K.self, V.self) else {
        throw TopologyError(.typeMismatch,
                            "\(child.name) cannot take the output of \(parent): Record<\(typeName(K.self)), \(typeName(V.self))>")
    }
    context.connect(child.name, input: input)
}

final class SourceNode<K, V>: RuntimeNode, SourceInput {
    let name: String
    let keySerde: any Serde<K>
    let valueSerde: any Serde<V>
    let context: ProcessorContext<K, V>

    init(name: String, keySerde: any Serde<K>, valueSerde: any Serde<V>, task: TaskContext) {
        self.name = name
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        self.context = ProcessorContext(nodeName: name, stores: [], task: task)
    }

    func input<IK, IV>(_ key: IK.Type, _ value: IV.Type) -> ((Record<IK, IV>) throws -> Void)? { nil }
    func connect(to child: any RuntimeNode) throws(TopologyError) { try Flowstate.connect(context, parent: name, child: child) }
    func initialize() throws {}
    func close() {}

    func process(_ raw: KafkaConsumerRecord) throws {
        let key = try keySerde.deserialize(raw.key ?? [])
        let value = try valueSerde.deserialize(raw.value ?? [])
        try context.forward(Record(key: key, value: value, timestamp: raw.timestamp, headers: raw.headers))
    }
}

final class ProcessorNode<P: Processor>: RuntimeNode {
    let name: String
    var processor: P
    let context: ProcessorContext<P.OutKey, P.OutValue>

    init(name: String, processor: P, stores: [String], task: TaskContext) {
        self.name = name
        self.processor = processor
        self.context = ProcessorContext(nodeName: name, stores: stores, task: task)
    }

    func input<K, V>(_ key: K.Type, _ value: V.Type) -> ((Record<K, V>) throws -> Void)? {
        typedInput({ [unowned self] (record: Record<P.InKey, P.InValue>) in
            try self.processor.process(record, context: self.context)
        }, as: K.self, V.self)
    }

    func connect(to child: any RuntimeNode) throws(TopologyError) { try Flowstate.connect(context, parent: name, child: child) }
    func initialize() throws { try processor.initialize(context: context) }
    func close() { processor.close() }
}

final class SinkNode<K, V>: RuntimeNode {
    let name: String
    let topic: String
    let keySerde: any Serde<K>
    let valueSerde: any Serde<V>
    let partitioner: SinkPartitioner<K, V>
    unowned let task: TaskContext
    /// The topic's partition count, once known (it does not change while the task lives).
    private var partitionCount: Int32?

    init(name: String, topic: String, keySerde: any Serde<K>, valueSerde: any Serde<V>,
         partitioner: SinkPartitioner<K, V>, task: TaskContext) {
        self.name = name
        self.topic = topic
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        self.partitioner = partitioner
        self.task = task
    }

    func input<IK, IV>(_ key: IK.Type, _ value: IV.Type) -> ((Record<IK, IV>) throws -> Void)? {
        typedInput({ [unowned self] (record: Record<K, V>) in try self.write(record) }, as: IK.self, IV.self)
    }

    func connect(to child: any RuntimeNode) throws(TopologyError) {
        throw TopologyError(.unknownNode, "sink \(name) cannot have child \(child.name)")
    }

    func initialize() throws {}
    func close() {}

    private func write(_ record: Record<K, V>) throws {
        let key = try keySerde.serialize(record.key)
        let value = try valueSerde.serialize(record.value)
        let count: Int32
        if let partitionCount {
            count = partitionCount
        } else {
            count = try task.partitionCount(topic)
            partitionCount = count
        }
        let partition: Int32
        if let choose = partitioner.choose {
            let chosen = choose(record, count) % count
            partition = chosen < 0 ? chosen + count : chosen
        } else {
            partition = KafkaPartitioner.partition(forKey: key, partitionCount: count)
        }
        task.emit(KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value,
                                      headers: record.headers, timestamp: record.timestamp >= 0 ? record.timestamp : nil))
    }
}
