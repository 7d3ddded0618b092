#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread for the OS (`top -H`, `perf`, `/proc/<pid>/task/*/comm`).
///
/// Foundation's `Thread.name` does not reach the OS thread on Linux, and Linux keeps at most
/// 15 bytes of a name, so threads name themselves when they start, through
/// `/proc/thread-self/comm` (`pthread_setname_np` is not visible to Swift's Glibc module).
package func nameCurrentThread(_ name: String) {
    #if os(Linux)
    let descriptor = open("/proc/thread-self/comm", O_WRONLY)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    #endif
}
