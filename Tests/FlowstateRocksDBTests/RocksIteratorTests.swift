import Testing

import FlowstateRocksDB

@Suite struct RocksIteratorTests {
    /// Opens a database in `directory` holding `keys`, each with its own bytes as value.
    private func makeDatabase(in directory: String, keys: [[UInt8]]) throws -> RocksDatabase {
        let db = try RocksDatabase(path: directory + "/db")
        let batch = RocksWriteBatch()
        for key in keys { batch.put(key, key) }
        try db.write(batch)
        return db
    }

    // MARK: - Order

    @Test func iterationIsByteWiseAscendingAndReverseDescending() throws {
        try withTemporaryDirectory { directory in
            let keys: [[UInt8]] = [[0xFF, 0xFF], [0x80], [0x01, 0x00], [0x7F], [0x01], [0x00], [0xFF]]
            let db = try makeDatabase(in: directory, keys: keys)
            defer { db.close() }
            let ascending: [[UInt8]] = [[0x00], [0x01], [0x01, 0x00], [0x7F], [0x80], [0xFF], [0xFF, 0xFF]]

            let forward = try db.scan()
            #expect(forward.map(\.key) == ascending)
            #expect(forward.map(\.value) == ascending)
            #expect(try db.scan(reverse: true).map(\.key) == ascending.reversed())
        }
    }

    @Test func rangeIsLowerInclusiveUpperExclusive() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: ["a", "b", "c", "d", "e"].map(bytes))
            defer { db.close() }

            #expect(keyStrings(try db.scan(from: bytes("b"), to: bytes("d"))) == ["b", "c"])
            #expect(keyStrings(try db.scan(from: bytes("b"), to: bytes("d"), reverse: true)) == ["c", "b"])
            #expect(keyStrings(try db.scan(from: bytes("bb"), to: bytes("dd"))) == ["c", "d"])
            #expect(keyStrings(try db.scan(to: bytes("c"))) == ["a", "b"])
            #expect(keyStrings(try db.scan(to: bytes("c"), reverse: true)) == ["b", "a"])
            #expect(keyStrings(try db.scan(from: bytes("d"))) == ["d", "e"])
            #expect(keyStrings(try db.scan(from: bytes("d"), reverse: true)) == ["e", "d"])
            #expect(try db.scan(from: bytes("c"), to: bytes("c")).isEmpty)
            #expect(try db.scan(from: bytes("d"), to: bytes("b"), reverse: true).isEmpty)
        }
    }

    // MARK: - Prefixes

    @Test func prefixScanReturnsOnlyKeysWithThePrefix() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: ["order", "order-1", "order-2", "orders", "ord", "p"].map(bytes))
            defer { db.close() }

            #expect(keyStrings(try db.scan(prefix: bytes("order-"))) == ["order-1", "order-2"])
            #expect(keyStrings(try db.scan(prefix: bytes("order-"), reverse: true)) == ["order-2", "order-1"])
            #expect(keyStrings(try db.scan(prefix: bytes("order"))) == ["order", "order-1", "order-2", "orders"])
            #expect(try db.scan(prefix: bytes("q")).isEmpty)
            #expect(try db.scan(prefix: []).count == 6, "an empty prefix matches every key")
        }
    }

    @Test func prefixEndingInFFIncludesAllItsExtensions() throws {
        try withTemporaryDirectory { directory in
            let keys: [[UInt8]] = [
                [0x01, 0xFE], [0x01, 0xFE, 0xFF], [0x01, 0xFF], [0x01, 0xFF, 0x00], [0x01, 0xFF, 0xFF, 0x05], [0x02], [0x02, 0x00],
            ]
            let db = try makeDatabase(in: directory, keys: keys)
            defer { db.close() }

            let expected: [[UInt8]] = [[0x01, 0xFF], [0x01, 0xFF, 0x00], [0x01, 0xFF, 0xFF, 0x05]]
            #expect(try db.scan(prefix: [0x01, 0xFF]).map(\.key) == expected)
            #expect(try db.scan(prefix: [0x01, 0xFF], reverse: true).map(\.key) == expected.reversed())
            #expect(try db.scan(prefix: [0x01, 0xFE]).map(\.key) == [[0x01, 0xFE], [0x01, 0xFE, 0xFF]])
        }
    }

    @Test func prefixOfOnlyFFBytesHasNoUpperBound() throws {
        try withTemporaryDirectory { directory in
            let keys: [[UInt8]] = [[0xFE, 0xFF], [0xFF], [0xFF, 0xFF], [0xFF, 0xFF, 0x00], [0xFF, 0xFF, 0xFF, 0xFF]]
            let db = try makeDatabase(in: directory, keys: keys)
            defer { db.close() }

            let expected: [[UInt8]] = [[0xFF, 0xFF], [0xFF, 0xFF, 0x00], [0xFF, 0xFF, 0xFF, 0xFF]]
            #expect(try db.scan(prefix: [0xFF, 0xFF]).map(\.key) == expected)
            #expect(try db.scan(prefix: [0xFF, 0xFF], reverse: true).map(\.key) == expected.reversed())
        }
    }

    // MARK: - Cursor behaviour

    @Test func seekRepositionsWithinTheBounds() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: ["a", "b", "c", "d", "e"].map(bytes))
            defer { db.close() }

            let forward = try db.makeIterator(from: bytes("b"))
            try forward.seek(to: bytes("cc"))
            #expect(try forward.next()?.key == bytes("d"))
            try forward.seek(to: bytes("a"))
            #expect(try forward.next()?.key == bytes("b"), "a seek below the lower bound clamps to it")

            let reverse = try db.makeIterator(to: bytes("d"), reverse: true)
            try reverse.seek(to: bytes("cc"))
            #expect(try reverse.next()?.key == bytes("c"))
            #expect(try reverse.next()?.key == bytes("b"))
            try reverse.seek(to: bytes("z"))
            #expect(try reverse.next()?.key == bytes("c"), "a seek above the upper bound clamps below it")
        }
    }

    @Test func exhaustedIteratorKeepsReturningNil() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: [bytes("only")])
            defer { db.close() }
            let iterator = try db.makeIterator()
            #expect(try iterator.next()?.value == bytes("only"))
            #expect(try iterator.next() == nil)
            #expect(try iterator.next() == nil)
        }
    }

    @Test func iteratorReadsTheSnapshotTakenAtCreation() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: ["a", "b"].map(bytes))
            defer { db.close() }
            let iterator = try db.makeIterator()
            try db.put(bytes("c"), bytes("c"))
            try db.delete(bytes("b"))

            var keys: [[UInt8]] = []
            while let (key, _) = try iterator.next() { keys.append(key) }
            #expect(keys == ["a", "b"].map(bytes))
        }
    }

    @Test func closedIteratorThrowsClosed() throws {
        try withTemporaryDirectory { directory in
            let db = try makeDatabase(in: directory, keys: ["a", "b"].map(bytes))
            defer { db.close() }
            let iterator = try db.makeIterator()
            _ = try iterator.next()
            iterator.close()
            iterator.close()
            let error = #expect(throws: RocksDBError.self) { try iterator.next() }
            #expect(error?.code == .closed)
        }
    }

    @Test func closingTheDatabaseClosesOpenIterators() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let db = try makeDatabase(in: directory, keys: ["a", "b"].map(bytes))
            let iterator = try db.makeIterator()
            #expect(try iterator.next()?.key == bytes("a"))

            db.close()
            let error = #expect(throws: RocksDBError.self) { try iterator.next() }
            #expect(error?.code == .closed)
            #expect(throws: RocksDBError.self) { try iterator.seek(to: bytes("a")) }

            // The directory lock is released although the iterator object is still alive.
            let reopened = try RocksDatabase(path: path)
            reopened.close()
            withExtendedLifetime(iterator) {}
        }
    }

    @Test func iteratorKeepsItsDatabaseOpen() throws {
        try withTemporaryDirectory { directory in
            var iterator: RocksIterator?
            do {
                let db = try makeDatabase(in: directory, keys: ["a", "b"].map(bytes))
                iterator = try db.makeIterator(reverse: true)
            }
            #expect(try iterator?.next()?.key == bytes("b"))
            #expect(try iterator?.next()?.key == bytes("a"))
            #expect(try iterator?.next() == nil)
            iterator = nil
            let reopened = try RocksDatabase(path: directory + "/db")
            reopened.close()
        }
    }
}
