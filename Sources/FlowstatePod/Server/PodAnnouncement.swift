import Flowstate

/// What one pod publishes about itself on the application's pods topic: where to reach it
/// and which source partitions it owns.
public struct PodAnnouncement: Codable, Sendable, Hashable {
    /// The pod's instance id (the record key).
    public var instanceID: String
    /// `host:port` other pods use to reach its HTTP server.
    public var advertisedAddress: String
    /// The source partitions it owns, by topic.
    public var partitions: [String: [Int32]]
    /// Whether every task it owns is restored and running.
    public var ready: Bool

    /// Creates an announcement.
    public init(instanceID: String, advertisedAddress: String, partitions: [String: [Int32]], ready: Bool) {
        self.instanceID = instanceID
        self.advertisedAddress = advertisedAddress
        self.partitions = partitions
        self.ready = ready
    }

    /// The announcement of an application's current status.
    init(instanceID: String, advertisedAddress: String, status: ApplicationStatus) {
        var partitions: [String: [Int32]] = [:]
        for partition in status.assignedPartitions { partitions[partition.topic, default: []].append(partition.partition) }
        self.init(instanceID: instanceID, advertisedAddress: advertisedAddress,
                  partitions: partitions.mapValues { $0.sorted() }, ready: status.isReady)
    }

    /// Whether the pod claims `partition` of `topic`.
    public func owns(topic: String, partition: Int32) -> Bool {
        partitions[topic]?.contains(partition) == true
    }
}

/// The latest announcement of every pod, as read from the pods topic, and who owns what.
///
/// When two pods claim the same partition (one has not yet announced that it lost it), the
/// claim read last — the higher offset — wins: a pod announces every assignment change, so
/// the newest claim is the newest assignment.
public struct PodRoster: Sendable {
    private var entries: [String: (announcement: PodAnnouncement, offset: Int64)] = [:]

    /// Creates an empty roster.
    public init() {}

    /// Applies one record of the pods topic: an announcement, or a tombstone (`nil`) that
    /// removes the pod.
    public mutating func apply(instanceID: String, announcement: PodAnnouncement?, offset: Int64) {
        if let previous = entries[instanceID], previous.offset > offset { return }
        if let announcement { entries[instanceID] = (announcement, offset) } else { entries[instanceID] = nil }
    }

    /// Every known pod, by instance id.
    public var pods: [PodAnnouncement] { entries.values.map(\.announcement).sorted { $0.instanceID < $1.instanceID } }

    /// The pod owning `partition` of any of `topics`, by the newest claim.
    public func owner(ofPartition partition: Int32, topics: [String]) -> PodAnnouncement? {
        entries.values
            .filter { entry in topics.contains { entry.announcement.owns(topic: $0, partition: partition) } }
            .max { $0.offset < $1.offset }?.announcement
    }
}
