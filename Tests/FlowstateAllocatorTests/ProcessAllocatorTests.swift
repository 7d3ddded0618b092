import FlowstateAllocator
import Foundation
import Testing

/// jemalloc, linked in, serves the process's `malloc` (Linux).
@Suite struct ProcessAllocatorTests {
    static var isLinux: Bool {
        #if os(Linux)
        true
        #else
        false
        #endif
    }

    @Test(.enabled(if: isLinux, "jemalloc is linked on Linux only; elsewhere the system allocator serves malloc"))
    func mallocIsServedByJemalloc() throws {
        #expect(ProcessAllocator.description.hasPrefix("jemalloc 5."), "\(ProcessAllocator.description)")
        #expect(ProcessAllocator.name == "jemalloc")
        let before = try #require(ProcessAllocator.bytesAllocatedByThisThread)
        let block = try #require(malloc(1 << 20))
        let after = try #require(ProcessAllocator.bytesAllocatedByThisThread)
        free(block)
        #expect(after - before >= 1 << 20, "a 1 MiB malloc moved jemalloc's counter by \(after - before) bytes")
    }

    @Test(.enabled(if: isLinux, "jemalloc is linked on Linux only"))
    func compiledOptionsReachJemalloc() throws {
        #expect(ProcessAllocator.compiledOptions == "dirty_decay_ms:1000,muzzy_decay_ms:0")
        #expect(ProcessAllocator.option("opt.dirty_decay_ms") == 1_000)
        #expect(ProcessAllocator.option("opt.muzzy_decay_ms") == 0)
    }
}
