import FlowstateKafka
import Testing

@Suite struct KafkaConfigurationTests {
    @Test func unknownRawPropertyFailsConstructionNamingIt() throws {
        var config = KafkaProducerConfig(bootstrapServers: ["localhost:9092"])
        config.additionalProperties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(config: config) }
        #expect(error?.code == .configuration)
        #expect(error?.property == "no.such.property")
        #expect(error?.message.contains("no.such.property") == true)
    }

    @Test func invalidValueFailsConstructionNamingTheProperty() throws {
        var config = KafkaConsumerConfig(bootstrapServers: ["localhost:9092"], groupID: "g")
        config.additionalProperties["fetch.wait.max.ms"] = "not-a-number"
        let error = #expect(throws: KafkaError.self) { try KafkaConsumer(config: config) }
        #expect(error?.property == "fetch.wait.max.ms")
    }

    @Test func emptyBootstrapServersAreRejected() throws {
        let error = #expect(throws: KafkaError.self) {
            try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: []))
        }
        #expect(error?.property == "bootstrap.servers")
    }

    @Test func emptyGroupIDAndNegativeDurationsAreRejected() throws {
        let noGroup = #expect(throws: KafkaError.self) {
            try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: ["localhost:9092"], groupID: ""))
        }
        #expect(noGroup?.property == "group.id")
        var config = KafkaProducerConfig(bootstrapServers: ["localhost:9092"])
        config.linger = .milliseconds(-1)
        let negative = #expect(throws: KafkaError.self) { try KafkaProducer(config: config) }
        #expect(negative?.property == "linger.ms")
    }

    @Test func emptyTransactionalIDIsRejected() throws {
        let error = #expect(throws: KafkaError.self) {
            try KafkaTransactionalProducer(config: KafkaProducerConfig(bootstrapServers: ["localhost:9092"]),
                                           transactionalID: "")
        }
        #expect(error?.property == "transactional.id")
    }

    @Test func rawPropertiesOverrideTypedDefaults() throws {
        // A valid raw property with a typed twin is accepted (and wins): no error.
        var config = KafkaProducerConfig(bootstrapServers: ["localhost:9092"])
        config.additionalProperties["compression.type"] = "zstd"
        let producer = try KafkaProducer(config: config)
        #expect(throws: Never.self) { try producer.produce(KafkaProducerRecord(topic: "t", key: "k", value: "v")) }
    }
}
