import FlowstateKafka
import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct DevBrokerCommandTests {
    @Test func printsBootstrapServersFirstServesTopicsAndStopsOnSIGTERM() async throws {
        let broker = try FlowstateProcess(["dev-broker", "--brokers", "2", "--topic", "orders:3", "--topic", "events:1"])
        let first = try #require(await broker.readLine(), "no output: \(broker.errorOutput())")
        #expect(first.hasPrefix("bootstrap.servers="))
        let servers = String(first.dropFirst("bootstrap.servers=".count))
        #expect(servers.split(separator: ",").count == 2)
        #expect(await broker.readLine() == "topic=orders:3")
        #expect(await broker.readLine() == "topic=events:1")

        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [servers]))
        let topics = try await admin.describeTopics(["orders", "events"])
        #expect(topics.map(\.partitions.count) == [1, 3], "sorted by name: events, orders")

        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
        let report = try await producer.send(KafkaProducerRecord(topic: "orders", partition: 2, key: "k", value: "v"))
        #expect(report.offset == 0)
        try await producer.close()

        let created = try await admin.createTopics([KafkaNewTopic(name: "app-store-changelog", partitions: 5,
                                                                  configs: ["cleanup.policy": "compact"])])
        #expect(created["app-store-changelog"] != nil)
        #expect(try await admin.describeTopics(["app-store-changelog"]).first?.partitions.count == 5)

        #expect(await broker.stop(signal: SIGTERM) == 0)
    }

    @Test func alsoStopsOnSIGINT() async throws {
        let broker = try FlowstateProcess(["dev-broker"])
        #expect(await broker.readLine()?.hasPrefix("bootstrap.servers=") == true)
        #expect(await broker.stop(signal: SIGINT) == 0)
    }

    @Test(arguments: [["--topic", "orders"], ["--topic", "orders:0"], ["--topic", ":3"], ["--brokers", "0"]])
    func badArgumentsFailAtStartupNamingTheFlag(arguments: [String]) async throws {
        let broker = try FlowstateProcess(["dev-broker"] + arguments)
        let status = await broker.waitForExit(timeout: .seconds(20))
        #expect(status != nil && status != 0)
        let message = broker.errorOutput()
        #expect(message.contains(arguments[0]), "stderr: \(message)")
    }
}
