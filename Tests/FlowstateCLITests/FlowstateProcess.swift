import Foundation

/// Runs the built `flowstate` binary as a child process, the way a user or a pod would.
final class FlowstateProcess: @unchecked Sendable {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffered = Data()

    /// The `flowstate` executable next to the test bundle in the build folder.
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("flowstate")
    }

    /// Starts the process; with `logFile`, its stderr goes to that file instead of a pipe
    /// (long-running pods, whose logs no one reads until the end, must not block on a full pipe).
    init(_ arguments: [String], environment: [String: String] = [:], logFile: String? = nil) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = stdout
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logFile)
        } else {
            process.standardError = stderr
        }
        try process.run()
    }

    /// Reads stdout until a full line arrives (or the process ends) and returns it.
    func readLine(timeout: Duration = .seconds(20)) async -> String? {
        await onThreadOfItsOwn { self.readLineBlocking(timeout: timeout) }
    }

    private func readLineBlocking(timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered = Data(buffered[buffered.index(after: newline)...])
                return line
            }
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
        return nil
    }

    /// Sends `signal` and waits up to `timeout` for the process to exit; returns its status.
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(15)) async -> Int32? {
        kill(process.processIdentifier, signal)
        return await waitForExit(timeout: timeout)
    }

    /// Sends SIGTERM without waiting, for `defer` blocks; `deinit` kills what is still running.
    func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    /// Waits up to `timeout` for the process to exit; returns its status, or `nil` (and kills it).
    func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        await onThreadOfItsOwn { self.waitForExitBlocking(timeout: timeout) }
    }

    private func waitForExitBlocking(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Everything the process wrote to stdout after what ``readLine(timeout:)`` consumed.
    func remainingOutput() async -> String {
        await onThreadOfItsOwn {
            self.buffered.append(self.stdout.fileHandleForReading.readDataToEndOfFile())
            return String(decoding: self.buffered, as: UTF8.self)
        }
    }

    /// Everything the process wrote to stderr.
    func errorOutput() -> String {
        String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Runs `body` on a new thread and awaits its result. Waiting on a child process blocks;
    /// done on the cooperative pool (two threads on the CI machine) it would starve every other
    /// test running alongside, such as the in-process pod whose HTTP handlers need that pool.
    private func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
