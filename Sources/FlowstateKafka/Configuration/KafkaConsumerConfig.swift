/// How a consumer group spreads partitions over its members.
public struct KafkaAssignmentStrategy: Hashable, Sendable, CustomStringConvertible {
    /// librdkafka's name (`partition.assignment.strategy`).
    public let name: String
    private init(_ name: String) { self.name = name }

    /// Range: partition *p* of every subscribed topic goes to the same member, so
    /// co-partitioned topics stay together. The default.
    public static let range = KafkaAssignmentStrategy("range")
    /// Round robin over all partitions of all topics.
    public static let roundRobin = KafkaAssignmentStrategy("roundrobin")
    /// Cooperative sticky: incremental rebalancing, members keep partitions they had.
    /// librdkafka 2.0.2 cannot keep co-partitioned topics together with it.
    public static let cooperativeSticky = KafkaAssignmentStrategy("cooperative-sticky")

    /// The strategy's librdkafka name.
    public var description: String { name }
}

/// Which records a consumer sees of transactional producers.
public struct KafkaIsolationLevel: Hashable, Sendable, CustomStringConvertible {
    /// librdkafka's name (`isolation.level`).
    public let name: String
    private init(_ name: String) { self.name = name }

    /// Only records of committed transactions (and non-transactional records). The default.
    public static let readCommitted = KafkaIsolationLevel("read_committed")
    /// Every record, including those of open and aborted transactions.
    public static let readUncommitted = KafkaIsolationLevel("read_uncommitted")

    /// The level's librdkafka name.
    public var description: String { name }
}

/// Settings of a ``KafkaConsumer``.
///
/// Offsets are never committed automatically: the caller commits (``KafkaConsumer/commit(_:)``)
/// or sends them to a transaction. ``additionalProperties`` passes raw librdkafka
/// properties through, applied last.
public struct KafkaConsumerConfig: Sendable {
    /// Brokers to bootstrap from, as `host:port`. Required.
    public var bootstrapServers: [String]
    /// The consumer group. Required for ``KafkaConsumer/subscribe(topics:listener:)``.
    public var groupID: String
    /// Static membership id (`group.instance.id`): a member that rejoins within the
    /// session timeout keeps its partitions. Default: `nil`.
    public var groupInstanceID: String?
    /// The client id sent to brokers. Default: `"flowstate"`.
    public var clientID: String = "flowstate"
    /// Partition assignment strategy. Default: ``KafkaAssignmentStrategy/range``.
    public var assignmentStrategy: KafkaAssignmentStrategy = .range
    /// Isolation level. Default: ``KafkaIsolationLevel/readCommitted``.
    public var isolationLevel: KafkaIsolationLevel = .readCommitted
    /// Where to start when the group has no committed offset: `true` for the earliest
    /// record, `false` for the latest. Default: `true`.
    public var startFromEarliest: Bool = true
    /// How long the group waits for a silent member before reassigning its partitions.
    /// Default: `.seconds(30)`.
    public var sessionTimeout: Duration = .seconds(30)
    /// Maximum time between polls before the member is considered stuck. Default: `.seconds(300)`.
    public var maxPollInterval: Duration = .seconds(300)
    /// Records librdkafka pre-fetches per partition; high so a consumer that falls
    /// behind does not pause fetching. Default: `1_000_000`.
    public var queuedMinRecords: Int = 1_000_000
    /// Raw librdkafka properties, applied last. Default: empty.
    public var additionalProperties: [String: String] = [:]

    /// Creates a configuration for the given brokers and group.
    public init(bootstrapServers: [String], groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// The librdkafka properties.
    func properties() throws(KafkaError) -> [String: String] {
        var properties = try KafkaClientProperties(bootstrapServers: bootstrapServers, clientID: clientID)
        guard !groupID.isEmpty else {
            throw KafkaError(.configuration, "group.id must not be empty", property: "group.id")
        }
        properties.set("group.id", groupID)
        if let groupInstanceID {
            guard !groupInstanceID.isEmpty else {
                throw KafkaError(.configuration, "group.instance.id must not be empty", property: "group.instance.id")
            }
            properties.set("group.instance.id", groupInstanceID)
        }
        properties.set("partition.assignment.strategy", assignmentStrategy.name)
        properties.set("isolation.level", isolationLevel.name)
        properties.set("auto.offset.reset", startFromEarliest ? "earliest" : "latest")
        properties.set("enable.auto.commit", "false")
        properties.set("enable.auto.offset.store", "false")
        properties.set("enable.partition.eof", "false")
        try properties.set("session.timeout.ms", milliseconds: sessionTimeout)
        try properties.set("max.poll.interval.ms", milliseconds: maxPollInterval)
        guard queuedMinRecords > 0 else {
            throw KafkaError(.configuration, "queued.min.messages must be positive", property: "queued.min.messages")
        }
        properties.set("queued.min.messages", String(queuedMinRecords))
        properties.merge(additionalProperties)
        return properties.values
    }
}
