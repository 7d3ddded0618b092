internal import CRocksDB

/// Owns a `rocksdb_readoptions_t` and the heap copies of its iteration bounds.
///
/// `rocksdb_readoptions_set_iterate_lower_bound` / `_upper_bound` keep a pointer to the
/// caller's buffer (and RocksDB's iterator keeps a pointer into the read options), so the
/// bounds are copied into buffers that live exactly as long as this object, which in turn
/// must outlive every iterator created with it.
final class RocksDBReadOptionsHandle {
    /// The read options; valid while this object lives. Do not escape it.
    let pointer: OpaquePointer
    private var boundBuffers: [UnsafeMutableRawBufferPointer] = []

    /// Creates read options, optionally bounding iteration to `[lowerBound, upperBound)`.
    init(lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil) {
        pointer = rocksdb_readoptions_create()
        if let lowerBound {
            let buffer = stableCopy(of: lowerBound)
            rocksdb_readoptions_set_iterate_lower_bound(pointer, buffer, lowerBound.count)
        }
        if let upperBound {
            let buffer = stableCopy(of: upperBound)
            rocksdb_readoptions_set_iterate_upper_bound(pointer, buffer, upperBound.count)
        }
    }

    deinit {
        rocksdb_readoptions_destroy(pointer)
        for buffer in boundBuffers { buffer.deallocate() }
    }

    /// Copies `bytes` into a buffer freed in `deinit` and returns its address.
    private func stableCopy(of bytes: [UInt8]) -> UnsafePointer<CChar> {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 1)
        buffer.copyBytes(from: bytes)
        boundBuffers.append(buffer)
        return UnsafePointer(buffer.baseAddress!.bindMemory(to: CChar.self, capacity: buffer.count))
    }
}
