public import Flowstate

/// A command for a manual step, such as an approval; sent to `<machine>.commands` keyed by
/// the entity id.
public struct StateMachineCommand: Codable, Sendable, Hashable {
    /// The entity the command is for.
    public var entityID: String
    /// The command's name (`approve`).
    public var name: String
    /// Who sent it; recorded in the lifecycle event.
    public var actor: String
    /// Extra arguments, for guards and updates.
    public var arguments: [String: String]

    /// Creates a command.
    public init(entityID: String, name: String, actor: String, arguments: [String: String] = [:]) {
        self.entityID = entityID
        self.name = name
        self.actor = actor
        self.arguments = arguments
    }
}

/// One entry of an entity's history: the status it reached, when and by whom.
public struct LifecycleEvent: Codable, Sendable, Hashable {
    /// The status reached (its raw value).
    public var status: String
    /// When, in milliseconds since the epoch (the processing wall clock).
    public var at: Int64
    /// Who caused it: a worker's actor, a command's actor, or `external` for the first status.
    public var actor: String
    /// The trace context of the span that made the transition, when tracing is on: the
    /// entity's next records (a command, a timer) continue it. `nil` in events stored before.
    public var trace: TraceContextHeaders?

    /// Creates an event.
    public init(status: String, at: Int64, actor: String, trace: TraceContextHeaders? = nil) {
        self.status = status
        self.at = at
        self.actor = actor
        self.trace = trace
    }
}

/// What goes to `<machine>.rejections` when an event or command is not valid for the
/// entity's current state (or the entity is unknown). Nothing else changes.
public struct StateMachineRejection: Codable, Sendable, Hashable {
    /// The entity the input was for.
    public var entityID: String
    /// The entity's status when it was rejected, if the entity exists.
    public var currentStatus: String?
    /// What was received: `status approved` or `command approve`.
    public var received: String
    /// Why it was rejected.
    public var reason: String
    /// When, in milliseconds since the epoch.
    public var at: Int64
}

extension LifecycleEvent: BinaryDirectEncodable {
    /// Writes the event's binary store encoding directly (the bytes its `Encodable` conformance writes).
    public func encode(to writer: inout BinaryWriter) {
        writer.field("status", status)
        writer.field("at", at)
        writer.field("actor", actor)
        if let trace { writer.field("trace", trace) }
    }
}
