import FlowstateKafka
import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct KafkaProducerTests {
    @Test func tenThousandRecordsComeBackInOrderPerPartitionThroughAConsumerGroup() async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("roundtrip", partitions: 4)
        let producer = try KafkaProducer(config: cluster.producerConfig())
        for index in 0..<10_000 {
            try producer.produce(KafkaProducerRecord(topic: topic, key: "k\(index % 50)", value: "\(index)"))
        }
        try await producer.flush()
        try await producer.close()

        let consumer = try KafkaConsumer(config: cluster.consumerConfig(group: "roundtrip-\(UUID())"))
        try consumer.subscribe(topics: [topic])
        let records = try await consume(consumer, count: 10_000)
        try await consumer.close()

        #expect(records.count == 10_000)
        #expect(Set(records.compactMap(\.valueString)).count == 10_000)
        for partition in 0..<Int32(4) {
            let offsets = records.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == offsets.sorted(), "partition \(partition) out of order")
            #expect(offsets.first == 0)
            // The same key always goes to the same partition, so per-key order is production order.
            let byKey = Dictionary(grouping: records.filter { $0.partition == partition }, by: { $0.keyString ?? "" })
            for (key, keyed) in byKey {
                let values = keyed.compactMap { Int($0.valueString ?? "") }
                #expect(values == values.sorted(), "key \(key) out of order")
            }
        }
        #expect(Set(records.map(\.partition)) == [0, 1, 2, 3])
    }

    @Test func sendReturnsTheDeliveryReportAndHeadersRoundTrip() async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("headers", partitions: 2)
        let producer = try KafkaProducer(config: cluster.producerConfig())
        let headers = [KafkaHeader(key: "source-topic", string: "orders"),
                       KafkaHeader(key: "nullable", value: nil),
                       KafkaHeader(key: "bytes", value: [0, 255, 7])]
        let first = try await producer.send(KafkaProducerRecord(topic: topic, partition: 1, key: "a", value: "1", headers: headers))
        let second = try await producer.send(KafkaProducerRecord(topic: topic, partition: 1, key: "b", value: nil))
        #expect(first.topicPartition == KafkaTopicPartition(topic: topic, partition: 1))
        #expect(first.offset == 0)
        #expect(second.offset == 1)
        try await producer.close()

        let consumer = try KafkaConsumer(config: cluster.consumerConfig(group: "headers-\(UUID())"))
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 1): .beginning])
        let records = try await consume(consumer, count: 2)
        try await consumer.close()
        #expect(records.count == 2)
        #expect(records.first?.headers == headers)
        #expect(records.first?.headers.last(named: "source-topic")?.stringValue == "orders")
        #expect(records.last?.value == nil, "a nil value is a tombstone")
        #expect(records.last?.keyString == "b")
    }

    @Test func sendToAMissingPartitionThrows() async throws {
        let cluster = try TestCluster()
        let topic = try await cluster.makeTopic("missing", partitions: 1)
        let producer = try KafkaProducer(config: cluster.producerConfig())
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 7, key: "a", value: "1"))
        }
        try await producer.close()
        #expect(throws: KafkaError.self) { try producer.produce(KafkaProducerRecord(topic: topic, key: "a", value: "1")) }
    }
}
