import FlowstateKafka
import Testing

@Suite struct EmbeddedClusterTests {
    @Test func exposesOneBootstrapAddressPerBroker() throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let addresses = cluster.bootstrapServers.split(separator: ",")
        #expect(addresses.count == 3)
        #expect(addresses.allSatisfy { $0.hasPrefix("127.0.0.1:") || $0.hasPrefix("localhost:") })
        cluster.shutdown()
    }

    @Test func brokerListenersHaveNagleOffAsARealBrokersConnectionsDo() throws {
        let cluster = try EmbeddedCluster(brokers: 2)
        let ports = BrokerListenerSockets.ports(ofBootstrapServers: cluster.bootstrapServers)
        #expect(ports.count == 2)
        let listeners = BrokerListenerSockets.listeners(ports: ports)
        #expect(listeners.count == 2)
        #expect(cluster.listenersWithoutNagle == 2)
        #expect(listeners.allSatisfy(BrokerListenerSockets.isNagleDisabled))
        cluster.shutdown()
        #expect(BrokerListenerSockets.listeners(ports: ports).isEmpty)
    }

    @Test func rejectsInvalidTopicLayouts() throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        #expect(throws: KafkaError.self) { try cluster.createTopic("t", partitions: 0) }
        #expect(throws: KafkaError.self) { try cluster.createTopic("t", partitions: 1, replicationFactor: 2) }
        #expect(throws: KafkaError.self) { try EmbeddedCluster(brokers: 0) }
    }

    @Test func shutdownIsIdempotentAndLaterCallsFail() throws {
        let cluster = try EmbeddedCluster()
        cluster.shutdown()
        cluster.shutdown()
        let error = #expect(throws: KafkaError.self) { try cluster.createTopic("late", partitions: 1) }
        #expect(error?.code == .closed)
    }

    @Test func createdTopicsAppearInMetadataWithTheirPartitionCount() async throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("orders", partitions: 6)
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [cluster.bootstrapServers]))
        let described = try await admin.describeTopics(["orders"])
        #expect(described.map(\.name) == ["orders"])
        #expect(described.first?.partitions == Array(0..<6))
    }
}
