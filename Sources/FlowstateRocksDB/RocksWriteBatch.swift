internal import CRocksDB

/// A set of writes that ``RocksDatabase/write(_:)`` applies atomically: all of them or none.
///
/// Operations are recorded in order and applied in that order; a later write to the same key
/// wins. Nothing reaches the database until the batch is written, and a batch that is never
/// written leaves no trace. A batch can be written several times and reused after ``clear()``.
///
/// ```swift
/// let batch = RocksWriteBatch()
/// batch.put(Array("order-1".utf8), Array("shipped".utf8))
/// batch.put(Array("__checkpoint".utf8), offsetBytes)
/// try db.write(batch)          // both or neither
/// ```
///
/// - Important: A batch is not thread-safe: one owner builds and writes it.
public final class RocksWriteBatch {
    private let pointer: OpaquePointer

    /// Creates an empty batch.
    public init() {
        pointer = rocksdb_writebatch_create()
    }

    deinit { rocksdb_writebatch_destroy(pointer) }

    /// The number of operations recorded (puts, deletes and range deletes).
    ///
    /// - Complexity: O(1)
    public var count: Int { Int(rocksdb_writebatch_count(pointer)) }

    /// Whether the batch records no operation.
    ///
    /// - Complexity: O(1)
    public var isEmpty: Bool { count == 0 }

    /// Records writing `value` under `key`.
    ///
    /// - Parameters:
    ///   - key: The key; any bytes.
    ///   - value: The value; any bytes, possibly empty.
    /// - Complexity: O(k + v), copying the key and value into the batch.
    public func put(_ key: [UInt8], _ value: [UInt8]) {
        key.withCChars { keyBytes, keyCount in
            value.withCChars { valueBytes, valueCount in
                rocksdb_writebatch_put(pointer, keyBytes, keyCount, valueBytes, valueCount)
            }
        }
    }

    /// Records writing the UTF-8 bytes of `value` under the UTF-8 bytes of `key`.
    ///
    /// - Complexity: O(k + v)
    public func put(_ key: String, _ value: String) {
        put(Array(key.utf8), Array(value.utf8))
    }

    /// Records deleting `key`; deleting a missing key is not an error.
    ///
    /// - Complexity: O(k)
    public func delete(_ key: [UInt8]) {
        key.withCChars { rocksdb_writebatch_delete(pointer, $0, $1) }
    }

    /// Records deleting the UTF-8 bytes of `key`.
    ///
    /// - Complexity: O(k)
    public func delete(_ key: String) {
        delete(Array(key.utf8))
    }

    /// Records deleting every key in `[start, end)`, compared byte-wise.
    ///
    /// Does nothing when `start >= end`.
    ///
    /// - Parameters:
    ///   - start: The first key deleted (inclusive).
    ///   - end: The first key kept (exclusive).
    /// - Complexity: O(k) to record; RocksDB writes a single range tombstone.
    public func deleteRange(from start: [UInt8], to end: [UInt8]) {
        guard start.lexicographicallyPrecedes(end) else { return }
        start.withCChars { startBytes, startCount in
            end.withCChars { endBytes, endCount in
                rocksdb_writebatch_delete_range(pointer, startBytes, startCount, endBytes, endCount)
            }
        }
    }

    /// Removes every recorded operation, so the batch can be reused.
    ///
    /// - Complexity: O(1)
    public func clear() {
        rocksdb_writebatch_clear(pointer)
    }

    /// Calls `body` with the C batch; the pointer must not escape.
    func withBatchPointer<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        try body(pointer)
    }
}

/// A batch has one owner; it must not cross concurrency domains.
@available(*, unavailable)
extension RocksWriteBatch: Sendable {}
