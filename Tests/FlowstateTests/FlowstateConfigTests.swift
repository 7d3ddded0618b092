import Flowstate
import Testing

/// Raw librdkafka properties given as `key=value` text (`--kafka-property`).
@Suite struct FlowstateConfigTests {
    @Test func kafkaPropertiesParseKeyEqualsValueAndKeepEqualsSignsInValues() throws {
        let properties = try FlowstateConfig.kafkaProperties(parsing: [
            "session.timeout.ms=6000", "sasl.oauthbearer.config=principal=admin", "client.rack=", "linger.ms=1", "linger.ms=5",
        ])
        #expect(properties == ["session.timeout.ms": "6000", "sasl.oauthbearer.config": "principal=admin",
                               "client.rack": "", "linger.ms": "5"])
    }

    @Test(arguments: ["linger.ms", "=5", ""])
    func textThatIsNotKeyEqualsValueFailsNamingTheSetting(pair: String) {
        #expect {
            _ = try FlowstateConfig.kafkaProperties(parsing: ["acks=all", pair])
        } throws: { error in
            guard let error = error as? FlowstateError else { return false }
            return error.code == .configuration && error.setting == "kafka-property" && error.message.contains("'\(pair)'")
        }
    }

    /// A task needs partition p of every source topic on one member; only `range` does that.
    @Test(arguments: ["cooperative-sticky", "roundrobin"])
    func anAssignmentStrategyOtherThanRangeFailsNamingTheSetting(strategy: String) {
        var config = FlowstateConfig(applicationID: "app", bootstrapServers: ["localhost:9092"])
        config.kafkaProperties["partition.assignment.strategy"] = strategy
        #expect {
            try config.validate()
        } throws: { error in
            guard let error = error as? FlowstateError else { return false }
            return error.code == .configuration && error.setting == "kafka-property" && error.message.contains(strategy)
        }
        config.kafkaProperties["partition.assignment.strategy"] = "range"
        #expect(throws: Never.self) { try config.validate() }
    }
}
