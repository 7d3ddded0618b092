internal import CRocksDB

extension RocksDBError {
    /// Creates an error from a message RocksDB returned through a `char** errptr`.
    ///
    /// The code is derived from RocksDB's `Status::ToString()` prefix, since the C API
    /// reports errors only as text.
    ///
    /// - Parameters:
    ///   - rocksMessage: RocksDB's message, e.g. `IO error: While lock file: /data/LOCK: …`.
    ///   - context: What Flowstate was doing, prepended to the message (e.g. the path being opened).
    init(rocksMessage: String, context: String?) {
        let code = Self.classify(rocksMessage)
        var message = rocksMessage
        if code == .locked {
            message = "the database directory is locked by another process or by another open "
                + "RocksDatabase in this process (\(rocksMessage))"
        }
        if let context { message = context + ": " + message }
        self.init(code, message)
    }

    /// Maps RocksDB's status text to a ``Code``.
    static func classify(_ rocksMessage: String) -> Code {
        if rocksMessage.hasPrefix("IO error: While lock file")
            || rocksMessage.contains("lock hold by current process")
        {
            return .locked
        }
        if rocksMessage.hasPrefix("Corruption") { return .corruption }
        if rocksMessage.hasPrefix("NotFound") || rocksMessage.contains("does not exist (create_if_missing is false)") {
            return .notFound
        }
        if rocksMessage.hasPrefix("Invalid argument") { return .invalidArgument }
        if rocksMessage.hasPrefix("IO error") { return .ioError }
        return .unknown
    }
}

/// Calls `body` with a fresh `char** errptr` and turns a message RocksDB stored there into a thrown error.
///
/// The C string is freed with `rocksdb_free` whether or not an error is thrown.
///
/// ```swift
/// try withRocksErrorPointer { errptr in rocksdb_put(db, writeOptions, key, keyCount, value, valueCount, errptr) }
/// ```
///
/// - Parameters:
///   - context: Prepended to RocksDB's message, e.g. `cannot open '/data/store'`; evaluated only on error.
///   - body: The C call; it receives the error out-parameter and must not escape it.
/// - Returns: Whatever `body` returns when RocksDB reported no error.
/// - Throws: ``RocksDBError`` classified from RocksDB's message.
func withRocksErrorPointer<T>(
    context: @autoclosure () -> String? = nil,
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> T
) throws -> T {
    var errorText: UnsafeMutablePointer<CChar>? = nil
    let result = try withUnsafeMutablePointer(to: &errorText) { try body($0) }
    if let errorText {
        defer { rocksdb_free(errorText) }
        throw RocksDBError(rocksMessage: String(cString: errorText), context: context())
    }
    return result
}
