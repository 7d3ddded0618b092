import Dispatch

/// Runs blocking librdkafka calls (flush, transactions, commits, polls called from async
/// code) on a dedicated serial dispatch queue, never on Swift's cooperative pool.
///
/// One executor per client keeps that client's blocking calls in order.
package struct BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    /// Creates an executor whose queue carries `label` in thread dumps.
    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the executor's queue and returns its result.
    ///
    /// - Throws: What `body` throws.
    package func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(E) -> T in try body() })
            }
        }
        return try result.get()
    }
}
