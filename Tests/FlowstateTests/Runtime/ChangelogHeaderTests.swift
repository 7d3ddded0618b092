import FlowstateKafka
@testable import Flowstate
import Testing

@Suite struct ChangelogHeaderTests {
    @Test(arguments: [Int64(0), 7, 10, 99, 1_000_000_007, Int64.max])
    func theSourceHeaderSpellsTopicPartitionAndOffsetAndDecodesBack(offset: Int64) {
        let metadata = RecordMetadata(topic: "statement.status.closed", partition: 12, offset: offset)
        let encoded = ChangelogHeader.encode(metadata)
        #expect(String(decoding: encoded, as: UTF8.self) == "statement.status.closed:12:\(offset)")
        #expect(ChangelogHeader.decode([KafkaHeader(key: ChangelogHeader.source, value: encoded)]) == metadata)
    }
}
