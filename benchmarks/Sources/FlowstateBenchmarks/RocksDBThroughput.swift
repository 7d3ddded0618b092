import Flowstate
import FlowstateRocksDB
import Foundation

/// One measured RocksDB operation: how many records it processed in how long.
struct RocksDBThroughputResult: Sendable {
    /// What was measured, e.g. `put (WAL on)`.
    var operation: String
    /// The number of records processed.
    var records: Int
    /// The wall-clock time, in seconds.
    var seconds: Double
    /// `records / seconds`.
    var recordsPerSecond: Double
}

/// Measures `FlowstateRocksDB` throughput on the local disk.
///
/// Each write benchmark fills its own fresh database under `directory`; the reads run on the
/// database filled by batched puts. Keys are the record index, big-endian, right-aligned in
/// `keySize` bytes (so they arrive in key order); values are pseudo-random bytes (fixed seed).
enum RocksDBThroughput {
    /// Runs every benchmark and returns one result per operation, in the order run.
    ///
    /// Measured: single puts with the write-ahead log, single puts without it, puts in batches
    /// of 1,000 without it, point gets of random existing keys, and a forward scan of all
    /// records. The databases are created in sub-directories of `directory` and removed at the end.
    ///
    /// - Parameters:
    ///   - records: Records written per write benchmark and read per read benchmark.
    ///   - keySize: Bytes per key; at least large enough to number `records` distinct keys.
    ///   - valueSize: Bytes per value.
    ///   - directory: An existing or creatable scratch directory.
    /// - Returns: The measurements.
    /// - Throws: `RocksDBError` if a database cannot be opened or written.
    static func run(records: Int, keySize: Int, valueSize: Int, directory: String) throws -> [RocksDBThroughputResult] {
        precondition(records > 0, "records must be positive")
        precondition(valueSize >= 0, "valueSize must not be negative")
        precondition(keySize >= 8 || records <= 1 << (8 * max(keySize, 0)), "keySize \(keySize) cannot number \(records) records")

        let runDirectory = directory + "/rocksdb-throughput-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }

        var generator = SeededRandom(seed: 0x5EED)
        let keys = (0..<records).map { makeKey($0, size: keySize) }
        let values = (0..<records).map { _ in makeValue(size: valueSize, using: &generator) }
        var results: [RocksDBThroughputResult] = []

        var logged = RocksOptions()
        logged.writeAheadLog = true
        var unlogged = RocksOptions()
        unlogged.writeAheadLog = false

        // Single puts, write-ahead log on.
        do {
            let db = try RocksDatabase(path: runDirectory + "/put-wal", options: logged)
            defer { db.close() }
            results.append(try measure("put (WAL on)", records: records) {
                for index in 0..<records { try db.put(keys[index], values[index]) }
            })
        }

        // Single puts, write-ahead log off.
        do {
            let db = try RocksDatabase(path: runDirectory + "/put-nowal", options: unlogged)
            defer { db.close() }
            results.append(try measure("put (WAL off)", records: records) {
                for index in 0..<records { try db.put(keys[index], values[index]) }
            })
        }

        // Batched puts (1,000 per batch), write-ahead log off; this database serves the reads.
        let db = try RocksDatabase(path: runDirectory + "/batch", options: unlogged)
        defer { db.close() }
        results.append(try measure("batched put (1,000/batch, WAL off)", records: records) {
            let batch = RocksWriteBatch()
            for index in 0..<records {
                batch.put(keys[index], values[index])
                if batch.count == 1_000 {
                    try db.write(batch)
                    batch.clear()
                }
            }
            if !batch.isEmpty { try db.write(batch) }
        })

        // Point gets of random existing keys.
        let lookups = (0..<records).map { _ in Int(generator.next() % UInt64(records)) }
        var found = 0
        results.append(try measure("point get (random existing keys)", records: records) {
            for index in lookups where try db.get(keys[index]) != nil { found += 1 }
        })
        precondition(found == records, "point get found \(found) of \(records) keys")

        // Forward scan of every record.
        var scanned = 0
        results.append(try measure("forward scan (all records)", records: records) {
            let iterator = try db.makeIterator()
            while try iterator.next() != nil { scanned += 1 }
        })
        precondition(scanned == records, "forward scan returned \(scanned) of \(records) records")

        return results
    }

    /// Times `body` with `ContinuousClock`.
    private static func measure(_ operation: String, records: Int, _ body: () throws -> Void) throws -> RocksDBThroughputResult {
        let duration = try ContinuousClock().measure(body)
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return RocksDBThroughputResult(
            operation: operation,
            records: records,
            seconds: seconds,
            recordsPerSecond: seconds > 0 ? Double(records) / seconds : .infinity
        )
    }

    /// The big-endian bytes of `index`, right-aligned in `size` bytes.
    private static func makeKey(_ index: Int, size: Int) -> [UInt8] {
        var key = [UInt8](repeating: 0, count: size)
        var remaining = UInt64(index)
        var position = size - 1
        while position >= 0 && remaining > 0 {
            key[position] = UInt8(truncatingIfNeeded: remaining)
            remaining >>= 8
            position -= 1
        }
        return key
    }

    /// `size` pseudo-random bytes.
    private static func makeValue(size: Int, using generator: inout SeededRandom) -> [UInt8] {
        (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }
}

