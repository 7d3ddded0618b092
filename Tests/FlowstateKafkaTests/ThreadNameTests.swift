@testable import FlowstateKafka
import Foundation
import Testing

/// Threads name themselves for the OS (what `top -H` and `perf` show).
@Suite struct ThreadNameTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm"),
                   "thread names are read back from /proc, which only Linux has"))
    func aThreadsNameReachesTheOSCutTo15Bytes() async throws {
        let name: String = await withCheckedContinuation { continuation in
            Thread {
                nameCurrentThread("fs-a-name-longer-than-15-bytes")
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                continuation.resume(returning: comm.trimmingCharacters(in: .newlines))
            }.start()
        }
        #expect(name == "fs-a-name-longe")
    }
}
