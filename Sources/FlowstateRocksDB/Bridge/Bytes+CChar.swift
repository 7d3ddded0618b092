extension Array where Element == UInt8 {
    /// Calls `body` with the bytes as the `const char*` + length pair RocksDB's C API takes.
    ///
    /// The pointer is valid only inside `body` and may be `nil` when the array is empty.
    @inline(__always)
    func withCChars<R>(_ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
        try withUnsafeBytes { raw in
            try body(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
    }

    /// Copies `count` bytes that RocksDB returned at `start` into a new array.
    @inline(__always)
    init(copyingCChars start: UnsafePointer<CChar>?, count: Int) {
        self.init(UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count))
    }
}
