import Foundation

/// Settings of a ``FlowstateApplication``.
///
/// Every setting maps one-to-one to a `flowstate run` flag and environment variable
/// (`--application-id` / `FLOWSTATE_APPLICATION_ID`, …). ``validate()`` runs at start-up and
/// names the setting at fault.
public struct FlowstateConfig: Sendable {
    /// Exactly-once or at-least-once processing.
    public enum ProcessingGuarantee: String, Sendable, CaseIterable {
        /// Outputs, changelog writes and consumed offsets commit in one Kafka transaction.
        case exactlyOnce = "exactly-once"
        /// Idempotent producer; offsets are committed after outputs are acknowledged.
        case atLeastOnce = "at-least-once"
    }

    /// What happens to a record whose key or value cannot be decoded.
    public enum DeserializationErrorHandling: String, Sendable, CaseIterable {
        /// Send it to the dead-letter topic with the reason in headers, and continue.
        case deadLetter = "dead-letter"
        /// Stop the application.
        case fail
    }

    /// How the brokers keep transactions; decides what restoration takes as proof that a
    /// changelog record's transaction committed.
    public enum BrokerTransactions: String, Sendable, CaseIterable {
        /// Ask the cluster at start-up: librdkafka's mock cluster (`flowstate dev-broker`, the
        /// embedded cluster; its cluster id starts with `mockCluster`) is ``unfiltered``, any other
        /// cluster ``markers``.
        case detect
        /// Kafka's own semantics: read_committed consumers never see records of transactions
        /// that did not commit, and transactional offset commits are stored.
        case markers
        /// Records of transactions that never committed stay visible and transactional offset
        /// commits are not stored (librdkafka's mock). Each commit's offsets are mirrored with
        /// the changelog positions it reached, restoration applies only records below them, and
        /// keys written by a transaction that may not have committed are written again with
        /// their committed value. A crash then shows duplicated outputs, never a lost one.
        case unfiltered

        /// What ``detect`` resolves to for a cluster reporting `clusterID`.
        public static func detected(clusterID: String?) -> Self {
            clusterID?.hasPrefix("mockCluster") == true ? .unfiltered : .markers
        }
    }

    /// The application id: consumer group, transactional-id prefix, internal topic prefix. Required.
    public var applicationID: String
    /// Kafka brokers as `host:port`. Required.
    public var bootstrapServers: [String]
    /// Where task state (RocksDB) lives; each application uses `<stateDirectory>/<applicationID>`.
    /// Default: `<temporary directory>/flowstate`.
    public var stateDirectory: String = FileManager.default.temporaryDirectory.appendingPathComponent("flowstate").path
    /// A stable id of this instance (the pod name): static group membership and
    /// `transactional.id`s derive from it, so a restarted instance fences its zombie.
    /// Default: the host name.
    public var instanceID: String = ProcessInfo.processInfo.hostName
    /// Stream threads in this instance. Default: 1.
    public var threads: Int = 1
    /// How often a stream thread commits its transaction. Default: `.milliseconds(100)`.
    public var commitInterval: Duration = .milliseconds(100)
    /// Processing guarantee. Default: ``ProcessingGuarantee/exactlyOnce``.
    public var processingGuarantee: ProcessingGuarantee = .exactlyOnce
    /// Handling of undecodable records. Default: ``DeserializationErrorHandling/deadLetter``.
    public var deserializationErrorHandling: DeserializationErrorHandling = .deadLetter
    /// Records per poll. Default: 1,000.
    public var maxPollRecords: Int = 1_000
    /// Consumer-group session timeout. Default: `.seconds(10)`.
    public var sessionTimeout: Duration = .seconds(10)
    /// How the brokers keep transactions. Default: ``BrokerTransactions/detect``.
    public var brokerTransactions: BrokerTransactions = .detect
    /// Most suspended calls (workers' and endpoints' calls to other services) one stream thread
    /// runs at once; at the bound it stops fetching until calls finish. Default: 4,096.
    public var maxInFlightCalls: Int = 4_096
    /// Raw librdkafka properties for every client. Default: empty.
    public var kafkaProperties: [String: String] = [:]

    /// The producers' transaction timeout: `transaction.timeout.ms` among ``kafkaProperties``,
    /// else librdkafka's default (60 s).
    public var transactionTimeout: Duration {
        .milliseconds(kafkaProperties["transaction.timeout.ms"].flatMap { Int64($0) } ?? 60_000)
    }

    /// Longest a suspended call may run: a commit waits for calls in flight, so a call may take
    /// at most what the transaction timeout leaves after a commit interval, with a margin.
    var maxCallTimeout: Duration { max(.milliseconds(1), (transactionTimeout - commitInterval) * 0.8) }

    /// Creates a configuration.
    public init(applicationID: String, bootstrapServers: [String]) {
        self.applicationID = applicationID
        self.bootstrapServers = bootstrapServers
    }

    /// The dead-letter topic: `<application-id>-dlq`.
    public var deadLetterTopic: String { "\(applicationID)-dlq" }

    /// The state directory of this application.
    public var applicationStateDirectory: String { "\(stateDirectory)/\(applicationID)" }

    /// Checks every setting.
    ///
    /// - Throws: ``FlowstateError`` `.configuration` whose ``FlowstateError/setting`` names the setting.
    public func validate() throws(FlowstateError) {
        do {
            try TopologyValidation.checkName(applicationID, what: "application id")
        } catch {
            throw FlowstateError(.configuration, error.message, setting: "application-id")
        }
        guard !bootstrapServers.filter({ !$0.isEmpty }).isEmpty else {
            throw FlowstateError(.configuration, "no bootstrap servers: give at least one host:port", setting: "bootstrap-servers")
        }
        for server in bootstrapServers where !server.contains(":") {
            throw FlowstateError(.configuration, "bootstrap server '\(server)' is not host:port", setting: "bootstrap-servers")
        }
        guard !instanceID.isEmpty, !instanceID.contains(where: { $0.isWhitespace }) else {
            throw FlowstateError(.configuration, "instance id '\(instanceID)' must be non-empty without spaces", setting: "instance-id")
        }
        guard (1...64).contains(threads) else {
            throw FlowstateError(.configuration, "threads must be 1...64 (got \(threads))", setting: "threads")
        }
        guard commitInterval > .zero else {
            throw FlowstateError(.configuration, "commit interval must be positive", setting: "commit-interval")
        }
        guard maxPollRecords > 0 else {
            throw FlowstateError(.configuration, "max poll records must be positive", setting: "max-poll-records")
        }
        guard maxInFlightCalls > 0 else {
            throw FlowstateError(.configuration, "max in-flight calls must be positive (got \(maxInFlightCalls))",
                                 setting: "max-in-flight-calls")
        }
        if let raw = kafkaProperties["transaction.timeout.ms"], (Int64(raw) ?? 0) <= 0 {
            throw FlowstateError(.configuration, "transaction.timeout.ms must be a positive number of milliseconds (got \(raw))",
                                 setting: "kafka-property")
        }
        if let strategy = kafkaProperties["partition.assignment.strategy"], strategy != "range" {
            // A task's partitions (partition p of each of its source topics) must go to one
            // member together: only `range` places them so (the others spread topics apart).
            throw FlowstateError(.configuration, "partition.assignment.strategy must be range (got \(strategy)): a task needs "
                                 + "partition p of every source topic on one member", setting: "kafka-property")
        }
        guard transactionTimeout > commitInterval else {
            throw FlowstateError(.configuration, "commit interval \(commitInterval) must be shorter than transaction.timeout.ms "
                                 + "(\(transactionTimeout))", setting: "commit-interval")
        }
        try Self.checkWritable(stateDirectory)
    }

    /// Parses raw librdkafka properties written `key=value` (`flowstate run --kafka-property`).
    ///
    /// The value may itself contain `=`; the key may not be empty.
    /// - Throws: ``FlowstateError`` `.configuration` naming `kafka-property` for text that is not `key=value`.
    public static func kafkaProperties(parsing pairs: [String]) throws(FlowstateError) -> [String: String] {
        var properties: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw FlowstateError(.configuration, "'\(pair)' is not key=value", setting: "kafka-property")
            }
            properties[String(parts[0])] = String(parts[1])
        }
        return properties
    }

    /// Creates the directory if needed and checks a file can be written in it.
    static func checkWritable(_ directory: String) throws(FlowstateError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FlowstateError(.configuration, "state directory \(directory) cannot be created: \(error.localizedDescription)",
                                 setting: "state-dir")
        }
        let probe = "\(directory)/.flowstate-write-probe-\(getpid())"
        guard manager.createFile(atPath: probe, contents: Data()) else {
            throw FlowstateError(.configuration, "state directory \(directory) is not writable", setting: "state-dir")
        }
        try? manager.removeItem(atPath: probe)
    }
}
