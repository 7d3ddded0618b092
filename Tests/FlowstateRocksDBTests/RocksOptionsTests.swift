import Testing

import FlowstateRocksDB

@Suite struct RocksOptionsTests {
    @Test func defaultsAreDocumented() {
        let options = RocksOptions()
        #expect(options.createIfMissing)
        #expect(options.compression == .lz4)
        #expect(options.blockCacheSize == 8 * 1024 * 1024)
        #expect(options.writeAheadLog)
        #expect(!options.syncWrites)
        #expect(options.maxOpenFiles == -1)
        #expect(options.writeBufferSize == nil)
    }

    static let invalidOptions: [(String, RocksOptions)] = {
        var negativeCache = RocksOptions()
        negativeCache.blockCacheSize = -1
        var zeroOpenFiles = RocksOptions()
        zeroOpenFiles.maxOpenFiles = 0
        var hugeOpenFiles = RocksOptions()
        hugeOpenFiles.maxOpenFiles = Int(Int32.max) + 1
        var zeroWriteBuffer = RocksOptions()
        zeroWriteBuffer.writeBufferSize = 0
        var syncWithoutLog = RocksOptions()
        syncWithoutLog.writeAheadLog = false
        syncWithoutLog.syncWrites = true
        return [
            ("blockCacheSize", negativeCache),
            ("maxOpenFiles", zeroOpenFiles),
            ("maxOpenFiles", hugeOpenFiles),
            ("writeBufferSize", zeroWriteBuffer),
            ("syncWrites", syncWithoutLog),
        ]
    }()

    @Test(arguments: invalidOptions)
    func invalidValueThrowsNamingTheOption(option: String, options: RocksOptions) throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: RocksDBError.self) { try RocksDatabase(path: directory + "/db", options: options) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.option == option)
            #expect(error?.message.contains(option) == true)
            #expect(error?.description.contains(option) == true)
        }
    }

    @Test(arguments: [RocksOptions.Compression.none, .snappy, .lz4, .zstd])
    func everyCompressionWritesReadableFiles(compression: RocksOptions.Compression) throws {
        try withTemporaryDirectory { directory in
            var options = RocksOptions()
            options.compression = compression
            options.blockCacheSize = 0
            options.maxOpenFiles = 64
            options.writeBufferSize = 1 << 20
            options.syncWrites = true
            let path = directory + "/db"
            do {
                let db = try RocksDatabase(path: path, options: options)
                for index in 0..<1_000 {
                    try db.put(bytes("key-\(index)"), bytes(String(repeating: "value-\(index)", count: 10)))
                }
                try db.flush()
                db.close()
            }
            let db = try RocksDatabase(path: path, options: options)
            defer { db.close() }
            #expect(try db.get(bytes("key-999")) == bytes(String(repeating: "value-999", count: 10)))
            #expect(try db.scan().count == 1_000)
        }
    }
}
