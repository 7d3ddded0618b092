import FlowstateKafka

/// What a task's mirrored offset commit says of its changelogs, on brokers that show records
/// of transactions that never committed (``FlowstateConfig/BrokerTransactions/unfiltered``).
///
/// Committed as the metadata of each of the task's source partitions, right after the task's
/// transaction committed: per changelog topic, the offset below which every record of the
/// task's partition belongs to a committed transaction or was written again since by one
/// (`flowstate-changelogs:v1 <topic>=<end> …`). Restoration applies records below it and
/// takes the ones at or past it as unconfirmed.
struct CommitEvidence: Equatable {
    static let prefix = "flowstate-changelogs:v1"

    /// Per changelog topic, the end of the confirmed records.
    var changelogEnds: [String: Int64]

    /// The metadata text, topics in name order.
    var metadata: String {
        ([Self.prefix] + changelogEnds.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
    }

    init(changelogEnds: [String: Int64]) { self.changelogEnds = changelogEnds }

    /// Reads metadata written by ``metadata``; `nil` for anything else.
    init?(metadata: String?) {
        guard let metadata else { return nil }
        let fields = metadata.split(separator: " ")
        guard fields.first == Substring(Self.prefix) else { return nil }
        var ends: [String: Int64] = [:]
        for field in fields.dropFirst() {
            guard let separator = field.lastIndex(of: "="), let end = Int64(field[field.index(after: separator)...]),
                  separator > field.startIndex else { return nil }
            ends[String(field[..<separator])] = end
        }
        changelogEnds = ends
    }

    /// What a task's source partitions' committed offsets prove of its changelogs.
    enum Finding: Equatable {
        /// Nothing is committed for any source partition: no changelog record is confirmed.
        case nothingCommitted
        /// Offsets are committed without evidence (an older Flowstate, or a broker that drops
        /// metadata): fall back to the records' source offsets.
        case noEvidence
        /// Confirmed ends per changelog topic (the lowest over the source partitions).
        case confirmed(CommitEvidence)
    }

    /// Reads the evidence of a task from the group's committed offsets of its source partitions.
    static func find(in committed: [KafkaTopicPartition: KafkaCommittedOffset], sources: [KafkaTopicPartition]) -> Finding {
        let entries = sources.compactMap { committed[$0] }.filter(\.offset.isConcrete)
        guard !entries.isEmpty else { return .nothingCommitted }
        var lowest: [String: Int64]?
        for entry in entries {
            guard let evidence = CommitEvidence(metadata: entry.metadata) else { return .noEvidence }
            guard let current = lowest else {
                lowest = evidence.changelogEnds
                continue
            }
            // A topic one partition's evidence lacks is confirmed nowhere in it.
            var merged: [String: Int64] = [:]
            for topic in Set(current.keys).union(evidence.changelogEnds.keys) {
                merged[topic] = min(current[topic] ?? 0, evidence.changelogEnds[topic] ?? 0)
            }
            lowest = merged
        }
        return .confirmed(CommitEvidence(changelogEnds: lowest ?? [:]))
    }

    /// Where restoration of `topic` must stop applying records: `nil` when the records' source
    /// offsets decide instead (``Finding/noEvidence``).
    static func confirmedEnd(of topic: String, in finding: Finding) -> Int64? {
        switch finding {
        case .nothingCommitted: 0
        case .noEvidence: nil
        case .confirmed(let evidence): evidence.changelogEnds[topic] ?? 0
        }
    }
}
