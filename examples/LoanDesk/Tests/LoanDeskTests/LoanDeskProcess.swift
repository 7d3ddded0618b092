import FlowstateKafka
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the package's own `loan-desk` binary as a child process, the way a user or a pod would.
final class LoanDeskProcess: @unchecked Sendable {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffered = Data()

    /// The `loan-desk` executable next to the test bundle in the build folder
    /// (`swift build --build-tests` builds both).
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("loan-desk")
    }

    /// Starts `loan-desk arguments…`; with `logFile`, its stderr goes to that file (a pod's logs,
    /// which no one reads until the end, must not fill a pipe and block it).
    init(_ arguments: [String], logFile: String? = nil) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        process.standardOutput = stdout
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logFile)
        } else {
            process.standardError = stderr
        }
        try process.run()
    }

    /// Runs `loan-desk arguments…` to its end (at most `timeout`): its exit status (`nil` if it
    /// had to be killed), stdout and stderr.
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws
        -> (status: Int32?, output: String, errors: String)
    {
        let child = try LoanDeskProcess(arguments)
        // Wait for the end first (bounded: a hung command is killed), then read what it wrote
        // (a client command writes far less than a pipe holds).
        let status = await child.waitForExit(timeout: timeout)
        let output = await child.remainingOutput()
        return (status, output, child.errorOutput())
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
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
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

    /// Everything the process wrote to stdout after what ``readLine(timeout:)`` consumed (waits
    /// for the process to close its stdout).
    func remainingOutput() async -> String {
        await onThreadOfItsOwn {
            self.buffered.append(self.stdout.fileHandleForReading.readDataToEndOfFile())
            return String(decoding: self.buffered, as: UTF8.self)
        }
    }

    /// Everything the process wrote to stderr (when it was not sent to a log file).
    func errorOutput() -> String {
        String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Runs `body` on a new thread and awaits its result: waiting on a child process blocks, and
    /// Swift Testing runs tests on the cooperative pool, which must never be blocked.
    private func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A TCP port on the loopback interface that was free a moment ago.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
            guard bind(descriptor, address, length) == 0 else { return -1 }
            return getsockname(descriptor, address, &length)
        }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Waits until the pod at `address` answers `GET /ready` with 200; returns whether it did in time.
func waitUntilReady(_ address: String, timeout: Duration = .seconds(60)) async -> Bool {
    guard let url = URL(string: "http://\(address)/ready") else { return false }
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        if let (_, response) = try? await URLSession.shared.data(for: request),
           (response as? HTTPURLResponse)?.statusCode == 200 {
            return true
        }
        try? await Task.sleep(for: .milliseconds(250))
    }
    return false
}

/// Reads topics from the beginning as pods write them (read_committed), keeping every record.
final class TopicReader: @unchecked Sendable {
    let consumer: KafkaConsumer
    private(set) var records: [KafkaConsumerRecord] = []

    init(servers: String, topics: [String], partitions: Int = 4) throws {
        consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: [servers], groupID: "reader-\(UUID())"))
        var assignment: [KafkaTopicPartition: KafkaOffset] = [:]
        for topic in topics {
            for partition in 0..<partitions { assignment[KafkaTopicPartition(topic: topic, partition: Int32(partition))] = .beginning }
        }
        try consumer.assign(assignment)
    }

    /// Fetches what arrived.
    func poll() async throws {
        records += try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    func waitUntil(timeout: Duration, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await poll()
            if try condition() { return true }
        }
        return false
    }

    func close() { try? consumer.close() }
}
