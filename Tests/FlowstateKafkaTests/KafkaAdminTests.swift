import FlowstateKafka
import Testing

@Suite(.timeLimit(.minutes(2)))
struct KafkaAdminTests {
    @Test func createTopicsOnTheEmbeddedClusterSaysTheRequestIsUnsupported() async throws {
        let cluster = try EmbeddedCluster()
        var config = KafkaAdminConfig(bootstrapServers: [cluster.bootstrapServers])
        config.requestTimeout = .seconds(3)
        let admin = try KafkaAdmin(config: config)
        let topic = KafkaNewTopic(name: "app-store-changelog", partitions: 4, replicationFactor: 1,
                                  configs: ["cleanup.policy": "compact"])
        let error = await #expect(throws: KafkaError.self) { _ = try await admin.createTopics([topic]) }
        #expect(error?.code == .unsupported, "got \(String(describing: error))")
        #expect(error?.message.contains("CreateTopics") == true)
    }

    @Test func theEmbeddedClusterReportsAMockClusterID() throws {
        let cluster = try EmbeddedCluster()
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [cluster.bootstrapServers]))
        let id = try #require(try admin.clusterID())
        #expect(id.hasPrefix("mockCluster"), "\(id)")
    }

    @Test func createTopicsRejectsAnInvalidTopicConfigLocally() async throws {
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: ["127.0.0.1:1"]))
        let error = await #expect(throws: KafkaError.self) {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t", partitions: 0)])
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test func describingAMissingTopicNamesIt() async throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("present", partitions: 2)
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [cluster.bootstrapServers]))
        #expect(try await admin.listTopics().contains("present"))
        let error = await #expect(throws: KafkaError.self) { _ = try await admin.describeTopics(["absent"]) }
        #expect(error?.message.contains("absent") == true)
    }
}
