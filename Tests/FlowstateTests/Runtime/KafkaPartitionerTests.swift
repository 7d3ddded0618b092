@testable import Flowstate
import Testing

@Suite struct KafkaPartitionerTests {
    /// Vectors from Kafka's own `UtilsTest.testMurmur2`: co-partitioning with Java producers
    /// depends on matching them bit for bit.
    @Test(arguments: [
        ("21", Int32(-973_932_308)),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ])
    func murmur2MatchesTheJavaClient(key: String, expected: Int32) {
        #expect(Int32(bitPattern: KafkaPartitioner.murmur2(Array(key.utf8))) == expected)
    }

    @Test func partitionIsThePositiveHashModuloTheCount() {
        let partitions = (0..<1_000).map { KafkaPartitioner.partition(forKey: Array("key-\($0)".utf8), partitionCount: 7) }
        #expect(partitions.allSatisfy { (0..<7).contains($0) })
        #expect(Set(partitions).count == 7)
        #expect(KafkaPartitioner.partition(forKey: Array("21".utf8), partitionCount: 7)
                == Int32(bitPattern: UInt32(bitPattern: -973_932_308) & 0x7fff_ffff) % 7)
    }
}
