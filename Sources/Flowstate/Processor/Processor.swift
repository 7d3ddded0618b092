/// A step of a topology: receives records of one type and forwards records of another.
///
/// One instance exists per task (sub-topology × partition), created by the factory given to
/// ``TopologyBuilder/addProcessor(_:parents:stores:_:)``; it is used from one thread only.
/// `process` is synchronous, like Kafka Streams' `Processor.process`: it may read and write
/// state stores and forward records, all of which commit or abort together.
///
/// ```swift
/// struct CountProcessor: Processor {
///     mutating func process(_ record: Record<String, String>, context: ProcessorContext<String, Int>) throws {
///         let counts = try context.keyValueStore("counts", key: String.self, value: Int.self)
///         let count = (try counts.get(record.key) ?? 0) + 1
///         try counts.put(record.key, count)
///         try context.forward(record.with(value: count))
///     }
/// }
/// ```
public protocol Processor<InKey, InValue, OutKey, OutValue> {
    /// The key type this processor receives.
    associatedtype InKey
    /// The value type this processor receives.
    associatedtype InValue
    /// The key type this processor forwards.
    associatedtype OutKey = InKey
    /// The value type this processor forwards.
    associatedtype OutValue = InValue

    /// Called once before the first record: look up stores, schedule punctuations.
    ///
    /// - Throws: Any error; the task fails to start.
    mutating func initialize(context: ProcessorContext<OutKey, OutValue>) throws

    /// Processes one record.
    ///
    /// - Throws: Any error; the record then goes to the dead-letter topic or fails the
    ///   application, as the topology's ``ProcessingErrorPolicy`` says. Its store writes and
    ///   forwards are undone either way.
    mutating func process(_ record: Record<InKey, InValue>, context: ProcessorContext<OutKey, OutValue>) throws

    /// Called once when the task closes.
    mutating func close()
}

extension Processor {
    /// Does nothing.
    public mutating func initialize(context: ProcessorContext<OutKey, OutValue>) throws {}
    /// Does nothing.
    public mutating func close() {}
}

/// A processor made of a closure, for small steps.
public struct ClosureProcessor<InKey, InValue, OutKey, OutValue>: Processor {
    private let body: (Record<InKey, InValue>, ProcessorContext<OutKey, OutValue>) throws -> Void

    /// Creates a processor that runs `body` for every record.
    public init(_ body: @escaping (Record<InKey, InValue>, ProcessorContext<OutKey, OutValue>) throws -> Void) {
        self.body = body
    }

    /// Runs the closure.
    public func process(_ record: Record<InKey, InValue>, context: ProcessorContext<OutKey, OutValue>) throws {
        try body(record, context)
    }
}

/// What happens to a record whose processing throws.
public enum ProcessingErrorPolicy: Sendable, Hashable {
    /// Stop the application (after logging topic, partition and offset). The default.
    case fail
    /// Undo the record's effects, send it to the dead-letter topic with the reason, and continue.
    case deadLetter
}
