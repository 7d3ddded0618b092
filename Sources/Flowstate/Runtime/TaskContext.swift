import FlowstateKafka

/// The per-task state shared by a task's nodes: metadata of the record being processed,
/// stream time, stores, punctuations, and the buffer of records the current record emits.
///
/// Outputs and changelog records of one input record are buffered and handed to the
/// producer only when the record completes, so a record whose processing throws leaves no
/// trace (its store writes are undone too).
///
/// The per-record buffers are touched several times per record by the task's thread alone, so
/// they skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`).
final class TaskContext {
    let taskID: TaskID
    let applicationID: String
    let wallClock: @Sendable () -> Int64
    var recordMetadata: RecordMetadata?
    var streamTime: Int64 = -1
    var stateManager: TaskStateManager?
    private var typedStores: [String: AnyObject] = [:]
    private(set) var punctuations: [Punctuation] = []
    /// Records emitted while processing the current record.
    @exclusivity(unchecked) private(set) var pending: [KafkaProducerRecord] = []
    /// The changelog records' headers for the current source record, built at its first store write.
    @exclusivity(unchecked) private var sourceHeaders: [KafkaHeader]?
    /// Where the changelog records are in ``pending``.
    @exclusivity(unchecked) private var changelogIndices: [Int] = []
    /// Partition counts of output topics, for sinks.
    let partitionCount: (String) throws -> Int32
    /// The task's keys with a call in flight, and the records queued behind them.
    let gate = KeyGate()
    /// The key the current record is ordered by (``ProcessorContext/order(by:)``).
    private(set) var recordKey: String?
    /// The key whose queued record or call continuation is running: that record holds it.
    var admittedKey: String?
    /// The call the current record suspended on.
    private(set) var suspension: Suspension?

    init(taskID: TaskID, applicationID: String, wallClock: @escaping @Sendable () -> Int64,
         partitionCount: @escaping (String) throws -> Int32) {
        self.taskID = taskID
        self.applicationID = applicationID
        self.wallClock = wallClock
        self.partitionCount = partitionCount
    }

    /// A context for build-time type checks: in-memory stores, no Kafka.
    static func detached(stores: [StoreDefinition]) -> TaskContext {
        let context = TaskContext(taskID: TaskID(subtopology: 0, partition: 0), applicationID: "build-check",
                                  wallClock: { 0 }, partitionCount: { _ in 1 })
        if let manager = try? TaskStateManager(taskID: context.taskID, applicationID: context.applicationID,
                                               stateDirectory: nil, definitions: stores, task: context) {
            context.attach(manager, definitions: stores)
        }
        return context
    }

    /// Makes the typed stores over the manager's byte stores.
    func attach(_ manager: TaskStateManager, definitions: [StoreDefinition]) {
        stateManager = manager
        for (definition, store) in zip(definitions, manager.stores) {
            typedStores[definition.name] = definition.makeTyped(store)
        }
    }

    func keyValueStore<K, V>(_ name: String, key: K.Type, value: V.Type) throws(TopologyError) -> KeyValueStore<K, V> {
        guard let store = typedStores[name] else {
            throw TopologyError(.unknownStore, "task \(taskID) has no store \(name)")
        }
        guard let typed = store as? KeyValueStore<K, V> else {
            throw TopologyError(.typeMismatch, "store \(name) is not a KeyValueStore<\(typeName(K.self)), \(typeName(V.self))>")
        }
        return typed
    }

    // MARK: - Records in flight

    /// Starts processing a source record.
    func beginRecord(_ metadata: RecordMetadata?) {
        recordMetadata = metadata
        sourceHeaders = nil
        recordKey = nil
        suspension = nil
    }

    /// Orders the current record by `key`: throws ``RecordDeferral`` while an earlier record of
    /// the key waits on a call (unless the current record holds the key).
    func order(by key: String) throws {
        guard recordMetadata != nil else { return }
        if let recordKey {
            guard recordKey == key else {
                throw TopologyError(.invalidSuspension, "a record is ordered by one key: \(recordKey), then \(key)")
            }
            return
        }
        if admittedKey != key, gate.isHeld(key) { throw RecordDeferral(key: key) }
        recordKey = key
    }

    /// Suspends the current record on `call` (one per record step).
    func suspend(name: String, timeout: Duration, call: @escaping @Sendable () async throws -> any Sendable,
                 resume: @escaping (Result<any Sendable, any Error>) throws -> Void) throws {
        guard recordMetadata != nil else {
            throw TopologyError(.invalidSuspension, "\(name): only a record can suspend (not a punctuation)")
        }
        guard let key = recordKey else {
            throw TopologyError(.invalidSuspension, "\(name): order the record by a key (order(by:)) before suspending it")
        }
        guard suspension == nil else {
            throw TopologyError(.invalidSuspension, "\(name): a record suspends on one call at a time")
        }
        suspension = Suspension(name: name, key: key, timeout: timeout, call: call, resume: resume)
    }

    /// Takes the call the current record suspended on.
    func takeSuspension() -> Suspension? {
        defer { suspension = nil }
        return suspension
    }

    /// Queues an output record.
    func emit(_ record: consuming KafkaProducerRecord) {
        pending.append(record)
    }

    /// Queues a changelog record for this task's partition, tagged with the source record.
    ///
    /// A key written again by the same record replaces that record's earlier changelog entry
    /// for it: both carry the same source header and stand or fall together, so restoration
    /// ends in the same state.
    func logChange(topic: String, key: [UInt8], value: [UInt8]?) {
        let headers: [KafkaHeader]
        if let sourceHeaders {
            headers = sourceHeaders
        } else {
            headers = recordMetadata.map { [KafkaHeader(key: ChangelogHeader.source, value: ChangelogHeader.encode($0))] } ?? []
            sourceHeaders = headers
        }
        for index in changelogIndices where pending[index].key == key && pending[index].topic == topic {
            pending[index].value = value
            return
        }
        changelogIndices.append(pending.count)
        pending.append(KafkaProducerRecord(topic: topic, partition: taskID.partition, key: key, value: value, headers: headers))
    }

    /// Ends the current record successfully and returns what it emitted.
    func completeRecord() -> [KafkaProducerRecord] {
        if let stores = stateManager?.stores {
            for store in stores { store.commitRecord() }
        }
        defer {
            pending.removeAll(keepingCapacity: true)
            changelogIndices.removeAll(keepingCapacity: true)
        }
        return pending
    }

    /// Undoes everything the current record did.
    func rollbackRecord() {
        suspension = nil
        recordKey = nil
        stateManager?.stores.forEach { $0.rollbackRecord() }
        pending.removeAll(keepingCapacity: true)
        changelogIndices.removeAll(keepingCapacity: true)
    }

    // MARK: - Punctuation

    func schedule(every interval: Duration, _ type: PunctuationType, _ body: @escaping (Int64) throws -> Void) -> Punctuation {
        let milliseconds = max(1, interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
        let start = type == .wallClockTime ? wallClock() : max(streamTime, 0)
        let punctuation = Punctuation(interval: milliseconds, type: type, firstDue: start + milliseconds, body: body)
        punctuations.append(punctuation)
        return punctuation
    }

    /// Whether a punctuation of `type` is due at `time`.
    func hasDuePunctuation(_ type: PunctuationType, at time: Int64) -> Bool {
        punctuations.contains { !$0.isCancelled && $0.type == type && time >= $0.nextDue }
    }

    /// Punctuations of `type` due at `time`, advancing their schedules.
    func duePunctuations(_ type: PunctuationType, at time: Int64) -> [(Punctuation, Int64)] {
        punctuations.removeAll { $0.isCancelled }
        var due: [(Punctuation, Int64)] = []
        for punctuation in punctuations where punctuation.type == type && time >= punctuation.nextDue {
            due.append((punctuation, time))
            // Skip missed intervals rather than firing once per missed interval.
            let missed = (time - punctuation.nextDue) / punctuation.interval
            punctuation.nextDue += (missed + 1) * punctuation.interval
        }
        return due
    }
}

/// The header that ties a changelog record to the source record it was written for.
enum ChangelogHeader {
    static let source = "flowstate.source"

    /// `topic:partition:offset` in UTF-8 (topic names cannot contain `:`).
    static func encode(_ metadata: RecordMetadata) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(metadata.topic.utf8.count + 24)
        bytes.append(contentsOf: metadata.topic.utf8)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(Int64(metadata.partition), to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(metadata.offset, to: &bytes)
        return bytes
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    private static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        var magnitude = value.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    static func decode(_ headers: [KafkaHeader]) -> RecordMetadata? {
        guard let text = headers.last(named: source)?.stringValue else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 3, let partition = Int32(parts[1]), let offset = Int64(parts[2]) else { return nil }
        return RecordMetadata(topic: String(parts[0]), partition: partition, offset: offset)
    }
}
