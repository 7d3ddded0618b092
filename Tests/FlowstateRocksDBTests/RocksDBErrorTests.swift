import Testing

@testable import FlowstateRocksDB

@Suite struct RocksDBErrorTests {
    @Test(arguments: [
        ("IO error: While lock file: /data/LOCK: Resource temporarily unavailable", RocksDBError.Code.locked),
        ("IO error: lock hold by current process, acquire time 1 acquiring thread 2: /data/LOCK: No locks available", .locked),
        ("Corruption: block checksum mismatch", .corruption),
        ("Invalid argument: Directory exists", .invalidArgument),
        ("NotFound: /data/000012.sst", .notFound),
        ("Invalid argument: /data/CURRENT: does not exist (create_if_missing is false)", .notFound),
        ("IO error: No space left on device", .ioError),
        ("Operation aborted: ", .unknown),
    ])
    func rocksMessagesAreClassifiedByTheirStatusPrefix(message: String, code: RocksDBError.Code) {
        let error = RocksDBError(rocksMessage: message, context: "cannot open '/data'")
        #expect(error.code == code)
        #expect(error.message.hasPrefix("cannot open '/data': "))
        #expect(error.message.contains(message), "RocksDB's own text is kept")
    }

    @Test func descriptionNamesCodeOptionAndMessage() {
        let error = RocksDBError(.invalidArgument, "must be positive", option: "writeBufferSize")
        #expect(error.description == "RocksDBError.invalidArgument [writeBufferSize]: must be positive")
        #expect(RocksDBError(.closed, "closed").description == "RocksDBError.closed: closed")
    }

    @Test(arguments: [
        ([UInt8](), nil),
        ([0x61], [0x62]),
        ([0x61, 0xFF], [0x62]),
        ([0x61, 0xFE, 0xFF, 0xFF], [0x61, 0xFF]),
        ([0xFF, 0xFF], nil),
    ] as [([UInt8], [UInt8]?)])
    func prefixSuccessorIncrementsTheLastNonFFByte(prefix: [UInt8], successor: [UInt8]?) {
        #expect(RocksDatabase.prefixSuccessor(prefix) == successor)
    }
}
