@testable import Flowstate
import Testing

@Suite struct ByteKeyTests {
    @Test func keysAreEqualExactlyWhenTheirBytesAre() {
        let long = Array("organisation-0001/statement-0001".utf8)
        let samples: [[UInt8]] = [
            [], [0], [1], [1, 0], [1, 0, 0],
            Array(repeating: 7, count: 16), Array(repeating: 7, count: 16) + [0], Array(repeating: 7, count: 17),
            long, long.dropLast() + [UInt8(ascii: "2")], long + [0],
        ]
        for a in samples {
            for b in samples {
                #expect((ByteKey(a) == ByteKey(b)) == (a == b), "\(a) vs \(b)")
                if a == b { #expect(ByteKey(a).hashValue == ByteKey(b).hashValue) }
            }
        }
    }

    @Test func aDictionaryKeyedByByteKeysKeepsKeysThatShareTheirFirstSixteenBytesApart() {
        var map: [ByteKey: Int] = [:]
        let prefix = Array("0123456789abcdef".utf8)
        for index in 0..<100 { map[ByteKey(prefix + Array(String(index).utf8))] = index }
        map[ByteKey(prefix)] = -1
        #expect(map.count == 101)
        for index in 0..<100 { #expect(map[ByteKey(prefix + Array(String(index).utf8))] == index) }
        #expect(map[ByteKey(prefix)] == -1)
    }
}
