import Testing

import FlowstateRocksDB

@Suite struct RocksWriteBatchTests {
    @Test func writtenBatchMakesAllItsWritesVisible() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }
            try db.put(bytes("stale"), bytes("x"))

            let batch = RocksWriteBatch()
            for index in 0..<100 {
                batch.put(bytes("order-\(index)"), bytes("v\(index)"))
            }
            batch.delete(bytes("stale"))
            #expect(batch.count == 101)

            #expect(try db.get(bytes("order-0")) == nil, "nothing is visible before the write")
            try db.write(batch)

            for index in 0..<100 {
                #expect(try db.get(bytes("order-\(index)")) == bytes("v\(index)"))
            }
            #expect(try db.get(bytes("stale")) == nil)
        }
    }

    @Test func batchNeverWrittenLeavesNothing() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let db = try RocksDatabase(path: path)
                try db.put(bytes("kept"), bytes("1"))
                do {
                    let batch = RocksWriteBatch()
                    batch.put(bytes("a"), bytes("1"))
                    batch.delete(bytes("kept"))
                    batch.deleteRange(from: bytes("a"), to: bytes("z"))
                }
                #expect(try db.get(bytes("a")) == nil)
                #expect(try db.get(bytes("kept")) == bytes("1"))
                db.close()
            }
            let reopened = try RocksDatabase(path: path)
            defer { reopened.close() }
            #expect(keyStrings(try reopened.scan()) == ["kept"])
        }
    }

    @Test func laterOperationsInABatchWin() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }

            let batch = RocksWriteBatch()
            batch.put(bytes("k"), bytes("first"))
            batch.put(bytes("k"), bytes("second"))
            batch.put("gone", "soon")
            batch.delete("gone")
            try db.write(batch)

            #expect(try db.get("k") == "second")
            #expect(try db.get("gone") == nil)
        }
    }

    @Test func deleteRangeRemovesLowerInclusiveUpperExclusive() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }
            for key in ["a", "b", "c", "d", "e"] {
                try db.put(bytes(key), bytes(key))
            }
            let batch = RocksWriteBatch()
            batch.deleteRange(from: bytes("b"), to: bytes("d"))
            batch.deleteRange(from: bytes("e"), to: bytes("a"))
            #expect(batch.count == 1, "an empty range records nothing")
            try db.write(batch)

            #expect(keyStrings(try db.scan()) == ["a", "d", "e"])
        }
    }

    @Test func clearEmptiesTheBatchForReuse() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }

            let batch = RocksWriteBatch()
            #expect(batch.isEmpty)
            batch.put(bytes("discarded"), bytes("1"))
            batch.clear()
            #expect(batch.count == 0)
            batch.put(bytes("kept"), bytes("2"))
            try db.write(batch)

            #expect(try db.get(bytes("discarded")) == nil)
            #expect(try db.get(bytes("kept")) == bytes("2"))
        }
    }
}
