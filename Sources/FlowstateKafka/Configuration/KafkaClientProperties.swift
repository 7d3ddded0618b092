/// Builds librdkafka property dictionaries; shared by the producer, consumer and admin configs.
struct KafkaClientProperties {
    private(set) var values: [String: String] = [:]

    /// Starts with the settings every client has.
    ///
    /// - Throws: ``KafkaError`` naming `bootstrap.servers` when no server is given.
    init(bootstrapServers: [String], clientID: String) throws(KafkaError) {
        let servers = bootstrapServers.filter { !$0.isEmpty }
        guard !servers.isEmpty else {
            throw KafkaError(.configuration, "bootstrap.servers is empty: give at least one host:port",
                             property: "bootstrap.servers")
        }
        values["bootstrap.servers"] = servers.joined(separator: ",")
        values["client.id"] = clientID
    }

    /// Sets a property.
    mutating func set(_ key: String, _ value: String) { values[key] = value }

    /// Sets a duration property in milliseconds, rejecting negative durations.
    ///
    /// - Throws: ``KafkaError`` naming `key` when `duration` is negative.
    mutating func set(_ key: String, milliseconds duration: Duration) throws(KafkaError) {
        let ms = duration.wholeMilliseconds
        guard ms >= 0 else {
            throw KafkaError(.configuration, "\(key) must not be negative (got \(duration))", property: key)
        }
        values[key] = String(ms)
    }

    /// Applies the raw passthrough last, so a user's raw property wins over a typed default.
    mutating func merge(_ additional: [String: String]) {
        values.merge(additional) { _, raw in raw }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
