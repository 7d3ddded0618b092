#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A `pthread_rwlock_t`: many readers or one writer.
///
/// ``RocksDatabase`` holds it shared for every operation (RocksDB's handle is thread-safe)
/// and exclusively to close, so closing waits for calls in flight and no call sees a
/// closed handle. On glibc writers are preferred, so a stream of reads cannot starve `close()`.
///
/// `@unchecked Sendable` is safe: the lock lives at a fixed heap address that is never
/// reassigned, and `pthread_rwlock_*` calls are made to be called from any thread.
///
/// - Important: Not reentrant. Never take the lock again (shared or exclusive) while holding it.
final class ReadWriteLock: @unchecked Sendable {
    private let rwlock: UnsafeMutablePointer<pthread_rwlock_t>

    /// Creates an unlocked lock.
    init() {
        rwlock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        #if canImport(Glibc)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        #endif
        let result = pthread_rwlock_init(rwlock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        precondition(result == 0, "pthread_rwlock_init failed: \(result)")
    }

    deinit {
        pthread_rwlock_destroy(rwlock)
        rwlock.deallocate()
    }

    /// Runs `body` holding the lock shared.
    func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        let result = pthread_rwlock_rdlock(rwlock)
        precondition(result == 0, "pthread_rwlock_rdlock failed: \(result)")
        defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }

    /// Runs `body` holding the lock exclusively.
    func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
        let result = pthread_rwlock_wrlock(rwlock)
        precondition(result == 0, "pthread_rwlock_wrlock failed: \(result)")
        defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }
}
