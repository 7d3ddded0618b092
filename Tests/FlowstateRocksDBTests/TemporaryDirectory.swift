import Foundation

/// A fresh directory under the system temporary directory, removed when `body` returns.
///
/// - Parameter body: Receives the directory's path.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("flowstate-rocksdb-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// The UTF-8 bytes of `string`.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// The keys of `entries`, decoded as UTF-8.
func keyStrings(_ entries: [(key: [UInt8], value: [UInt8])]) -> [String] {
    entries.map { String(decoding: $0.key, as: UTF8.self) }
}

/// A counter safe to bump from any thread.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }

    var value: Int { lock.withLock { count } }
}
