/// Settings of a ``KafkaAdmin`` client.
public struct KafkaAdminConfig: Sendable {
    /// Brokers to bootstrap from, as `host:port`. Required.
    public var bootstrapServers: [String]
    /// The client id sent to brokers. Default: `"flowstate-admin"`.
    public var clientID: String = "flowstate-admin"
    /// How long an admin request may take. Default: `.seconds(30)`.
    public var requestTimeout: Duration = .seconds(30)
    /// Raw librdkafka properties, applied last. Default: empty.
    public var additionalProperties: [String: String] = [:]

    /// Creates a configuration for the given brokers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties.
    func properties() throws(KafkaError) -> [String: String] {
        var properties = try KafkaClientProperties(bootstrapServers: bootstrapServers, clientID: clientID)
        try properties.set("socket.timeout.ms", milliseconds: requestTimeout)
        properties.merge(additionalProperties)
        return properties.values
    }
}
