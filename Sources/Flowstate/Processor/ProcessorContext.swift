
/// Where the record being processed came from.
public struct RecordMetadata: Sendable, Hashable {
    /// The source topic.
    public var topic: String
    /// The source partition.
    public var partition: Int32
    /// The record's offset in its partition.
    public var offset: Int64
}

/// What a processor can do: forward records to its children, use its stores, schedule
/// punctuations, and read the task's metadata and clocks.
///
/// One context exists per processor per task; it must not be used from another thread.
public final class ProcessorContext<OutKey, OutValue> {
    let task: TaskContext
    /// The name of the node this context belongs to.
    public let nodeName: String
    let allowedStores: Set<String>
    /// The children's names, in the order they were connected.
    private(set) var childNames: [String] = []
    /// The children's inputs, in the order of ``childNames``.
    private(set) var childInputs: [(Record<OutKey, OutValue>) throws -> Void] = []
    /// Each child's position in ``childInputs``, by name (the first child of a name).
    private var childIndex: [String: Int] = [:]

    init(nodeName: String, stores: [String], task: TaskContext) {
        self.nodeName = nodeName
        self.allowedStores = Set(stores)
        self.task = task
    }

    /// The task this processor instance runs in.
    public var taskID: TaskID { task.taskID }

    /// The application id (consumer group, prefix of internal topics).
    public var applicationID: String { task.applicationID }

    /// The source record being processed, or `nil` inside a punctuation.
    public var recordMetadata: RecordMetadata? { task.recordMetadata }

    /// The task's stream time: the largest record timestamp seen so far (milliseconds).
    public var streamTime: Int64 { task.streamTime }

    /// The current wall-clock time in milliseconds (a manual clock under the test driver).
    public var wallClockTime: Int64 { task.wallClock() }

    /// Sends `record` to every child.
    ///
    /// - Throws: What a child throws.
    public func forward(_ record: Record<OutKey, OutValue>) throws {
        for input in childInputs { try input(record) }
    }

    /// Adds a child.
    func connect(_ name: String, input: @escaping (Record<OutKey, OutValue>) throws -> Void) {
        if childIndex[name] == nil { childIndex[name] = childInputs.count }
        childNames.append(name)
        childInputs.append(input)
    }

    /// Sends `record` to the child named `child` only.
    ///
    /// - Throws: ``TopologyError`` when `child` is not a child of this node, or what the child throws.
    public func forward(_ record: Record<OutKey, OutValue>, to child: String) throws {
        guard let index = childIndex[child] else {
            throw TopologyError(.unknownNode, "\(nodeName) has no child named \(child); children: \(childNames)")
        }
        try childInputs[index](record)
    }

    /// Returns the key-value store `name`, which this processor must have declared.
    ///
    /// - Throws: ``TopologyError`` when the store was not declared for this processor
    ///   (``TopologyError/Code/storeNotConnected``) or has other key/value types.
    public func keyValueStore<K, V>(_ name: String, key: K.Type = K.self,
                                    value: V.Type = V.self) throws(TopologyError) -> KeyValueStore<K, V> {
        guard allowedStores.contains(name) else {
            throw TopologyError(.storeNotConnected, "processor \(nodeName) did not declare store \(name)")
        }
        return try task.keyValueStore(name, key: K.self, value: V.self)
    }

    /// Processes the current record only after every earlier record of `key` in this task has
    /// finished, its suspended call included; records of other keys go on meanwhile.
    ///
    /// Call it first, before reading state for the key. While an earlier record of `key` waits
    /// on a call, this throws an error the engine handles: the record's effects so far are
    /// undone, and it runs again from its source, in offset order, once the key is free. Let
    /// the error pass (do not catch it). Inside a punctuation it does nothing.
    ///
    /// - Throws: ``TopologyError`` when the record was already ordered by another key.
    public func order(by key: String) throws {
        try task.order(by: key)
    }

    /// Suspends the current record on a call to another service: `call` runs off the stream
    /// thread, and `resume` runs on it with the result once the call has finished.
    ///
    /// The stream thread goes on meanwhile with other keys' records, punctuations and queries;
    /// records of the same key (``order(by:)``, required first) wait. What the record did
    /// before suspending is kept. `resume` runs as part of the same record: its store writes and
    /// forwards join the transaction open then, and it may suspend again (a retry). A commit
    /// waits until no call is in flight, so a transaction holds only finished records and a
    /// crash or abort runs the unfinished ones again: `call` is at least once, make it
    /// idempotent. A call that outlives `timeout` is cancelled and `resume` gets ``CallTimeout``.
    ///
    /// - Parameters:
    ///   - name: The worker or endpoint, for metrics (`flowstate_calls_total{step=…}`) and messages.
    ///   - timeout: Longest the call may run (capped below the transaction timeout).
    /// - Throws: ``TopologyError`` outside a record, before ``order(by:)``, or when the record
    ///   already suspended in this step.
    public func suspend<T: Sendable>(_ name: String, timeout: Duration = .seconds(30),
                                     _ call: @escaping @Sendable () async throws -> T,
                                     then resume: @escaping (Result<T, any Error>) throws -> Void) throws {
        try task.suspend(name: name, timeout: timeout, call: { try await call() }, resume: { result in
            try resume(result.map { $0 as! T })
        })
    }

    /// Calls `punctuator` every `interval` of stream time or wall-clock time, with the time.
    ///
    /// Stream-time punctuations fire as records advance stream time; wall-clock ones fire from
    /// the stream thread's loop (or ``FlowstateTesting`` `advanceWallClockTime`). Their store
    /// writes and forwards belong to the current transaction.
    ///
    /// - Returns: A handle to cancel the schedule.
    @discardableResult
    public func schedule(every interval: Duration, _ type: PunctuationType,
                         _ punctuator: @escaping (Int64) throws -> Void) -> Punctuation {
        task.schedule(every: interval, type, punctuator)
    }
}

/// Which clock drives a punctuation.
public enum PunctuationType: Sendable, Hashable {
    /// Record timestamps: fires when stream time passes the next due time.
    case streamTime
    /// The system clock: fires on schedule even without records.
    case wallClockTime
}

/// A scheduled punctuation; ``cancel()`` stops it.
public final class Punctuation {
    let interval: Int64
    let type: PunctuationType
    var nextDue: Int64
    let body: (Int64) throws -> Void
    private(set) var isCancelled = false

    init(interval: Int64, type: PunctuationType, firstDue: Int64, body: @escaping (Int64) throws -> Void) {
        self.interval = max(1, interval)
        self.type = type
        self.nextDue = firstDue
        self.body = body
    }

    /// Stops further calls.
    public func cancel() { isCancelled = true }
}
