import ArgumentParser
import Dispatch
import Flowstate
import FlowstateAllocator
import FlowstateKafka
import Foundation
import Saga
import StatementLifecycle

/// `flowstate-bench statement`: the statement lifecycle (auto-approval) as the comparison's
/// Flowstate processor (`--mode e2e`, measured by `statement-driver`) or in process, engine
/// only (`--mode in-process`, measured here). See benchmarks/README.md.
struct StatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "The statement lifecycle: the comparison's processor (e2e) or the engine alone (in-process).")

    enum Mode: String, ExpressibleByArgument, CaseIterable { case e2e, inProcess = "in-process" }

    @Option(help: "e2e: run as the processor until SIGTERM; in-process: no broker, prints a RESULT line.")
    var mode: Mode
    @Option(help: "e2e: exactly-once or at-least-once.") var guarantee: String = "exactly-once"
    @Option(help: "e2e: stream threads.") var threads: Int = 1
    @Option(help: "e2e: the cluster (e.g. a `flowstate dev-broker`).") var bootstrapServers: String?
    @Option(help: "Where task state (RocksDB) lives; a temporary directory by default.") var stateDir: String?
    @Option(help: "e2e: the commit interval in milliseconds.") var commitIntervalMs: Int = 100
    @Option(help: "e2e: the application id (consumer group, internal topic prefix).")
    var applicationId: String = "statement-bench"
    @Option(help: "in-process: statements (7 transitions each).") var statements: Int = 20_000
    @Option(help: "in-process: organisations (the partition keys).") var organisations: Int = 500
    @Option(help: "in-process: partitions of every topic.") var partitions: Int = 4
    @Option(help: "in-process: records processed between commits (a stream thread's poll batch).")
    var commitEvery: Int = 1_000
    @Option(help: "e2e: a raw librdkafka property key=value for the processor's clients (repeatable).")
    var kafkaProperty: [String] = []
    @Option(help: "Milliseconds every automatic step awaits first, off the stream thread (a stand-in for a remote call).")
    var stepLatency: Int = 0
    @Option(help: "e2e: most calls in flight per stream thread.") var maxInFlightCalls: Int = 4_096

    /// The lifecycle's options: everything approved automatically, each step after `--step-latency`.
    var lifecycle: StatementLifecycle.Options {
        StatementLifecycle.Options(autoApprovalLimit: Int.max, stepLatency: .milliseconds(stepLatency))
    }

    func validate() throws {
        guard FlowstateConfig.ProcessingGuarantee(rawValue: guarantee) != nil else {
            throw ValidationError("--guarantee must be exactly-once or at-least-once (got \(guarantee))")
        }
        do {
            _ = try FlowstateConfig.kafkaProperties(parsing: kafkaProperty)
        } catch {
            throw ValidationError("--kafka-property: \(error.message)")
        }
        if mode == .e2e, bootstrapServers == nil { throw ValidationError("--mode e2e needs --bootstrap-servers") }
        guard stepLatency >= 0 else { throw ValidationError("--step-latency must not be negative (got \(stepLatency))") }
        guard maxInFlightCalls > 0 else { throw ValidationError("--max-in-flight-calls must be positive (got \(maxInFlightCalls))") }
        guard statements > 0, organisations > 0, partitions > 0, threads > 0, commitEvery > 0, commitIntervalMs > 0 else {
            throw ValidationError("--statements, --organisations, --partitions, --threads, --commit-every and "
                                  + "--commit-interval-ms must be positive")
        }
    }

    func run() async throws {
        switch mode {
        case .e2e: try await endToEnd()
        case .inProcess: try inProcess()
        }
    }

    // MARK: - End to end: the processor statement-driver measures

    private func endToEnd() async throws {
        let servers = bootstrapServers!
        let topology = try StatementLifecycle.topology(lifecycle)
        let machine = try StatementLifecycle.machine(lifecycle)
        // The dev-broker has the status topics; the command router's topics may be missing.
        let admin = try KafkaAdmin(config: KafkaAdminConfig(bootstrapServers: [servers]))
        let existing = Set(try await admin.describeTopics(nil).map(\.name))
        let partitionCount = try await admin.describeTopics([machine.topic(of: .closeInitiated)]).first?.partitions.count ?? partitions
        let missing = machine.topics.filter { !existing.contains($0) }
        if !missing.isEmpty {
            _ = try await admin.createTopics(missing.map { KafkaNewTopic(name: $0, partitions: partitionCount) })
        }

        var config = FlowstateConfig(applicationID: applicationId, bootstrapServers: [servers])
        config.stateDirectory = stateDir ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("flowstate-bench-\(UUID().uuidString)").path
        config.instanceID = "bench"
        config.threads = threads
        config.processingGuarantee = FlowstateConfig.ProcessingGuarantee(rawValue: guarantee)!
        config.commitInterval = .milliseconds(commitIntervalMs)
        config.kafkaProperties = try FlowstateConfig.kafkaProperties(parsing: kafkaProperty)
        config.maxInFlightCalls = maxInFlightCalls
        let app = FlowstateApplication(topology: topology, config: config)

        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let signals = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in signals {
            source.setEventHandler { app.triggerShutdown() }
            source.resume()
        }
        print("FLOWSTATE_STARTED allocator=\(ProcessAllocator.name)", flush: true)
        try await app.run()
        withExtendedLifetime(signals) {}  // the sources must outlive the run to deliver SIGTERM
        let usage = ResourceUsage.current
        print("FLOWSTATE_RESOURCES peak_rss_mib=\(format(usage.peakRSSMiB, 1)) cpu_s=\(format(usage.cpuSeconds, 2))",
              flush: true)
    }

    // MARK: - In process: the engine alone

    private func inProcess() throws {
        let topology = try StatementLifecycle.topology(lifecycle)
        let machine = try StatementLifecycle.machine(lifecycle)
        let directory = stateDir ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("flowstate-bench-\(UUID().uuidString)").path
        defer { if stateDir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let counts = Dictionary(uniqueKeysWithValues: machine.topics.map { ($0, partitions) })
        let loop = try InProcessStreamLoop(topology: topology, applicationID: applicationId, stateDirectory: directory,
                                           partitions: counts, commitEvery: commitEvery, wallClock: { milliseconds() })
        defer { loop.close() }

        let inputTopic = machine.topic(of: .closeInitiated), closedTopic = machine.topic(of: .closed)
        let rejections = machine.rejectionsTopic, deadLetters = "\(applicationId)-dlq"
        var enqueued = [Int64](repeating: 0, count: statements)
        var closedAt = [Int64](repeating: 0, count: statements)
        var closed = 0, duplicates = 0, rejected = 0
        loop.observe = { record in
            if record.topic == closedTopic {
                guard let index = statementIndex(record.value ?? []), index < statements else { return }
                if closedAt[index] == 0 {
                    closedAt[index] = microseconds()
                    closed += 1
                } else {
                    duplicates += 1
                }
            } else if record.topic == rejections || record.topic == deadLetters {
                rejected += 1
            }
        }

        // Warm-up: one statement per organisation of the first few, as the driver does.
        for warmup in 0..<min(organisations, partitions * 4) {
            loop.enqueue(topic: inputTopic, key: Array(organisation(warmup).utf8),
                         value: Array(statementJSON(id: "stmt-warmup-\(warmup)", organisation: warmup, index: warmup).utf8),
                         timestamp: milliseconds())
        }
        try loop.run()

        // The input is made before measuring: the figure is the engine's, not the payload generator's.
        let inputs = (0..<statements).map { index in
            (key: Array(organisation(index).utf8),
             value: Array(statementJSON(id: "stmt-" + String(format: "%06d", index), organisation: index, index: index).utf8))
        }
        let before = ResourceUsage.current
        let start = microseconds()
        for (index, input) in zip(inputs.indices, inputs) {
            enqueued[index] = microseconds()
            loop.enqueue(topic: inputTopic, key: input.key, value: input.value, timestamp: enqueued[index] / 1000)
        }
        try loop.run()
        let after = ResourceUsage.current
        guard closed == statements else {
            throw ValidationError("only \(closed) of \(statements) statements closed (rejected: \(rejected))")
        }
        let last = closedAt.max() ?? start
        var latencies = (0..<statements).map { Double(closedAt[$0] - enqueued[$0]) / 1000 }
        latencies.sort()
        let seconds = Double(last - start) / 1e6
        let events = 7 * Double(statements)
        let cpu = after.cpuSeconds - before.cpuSeconds
        print("RESULT events=\(Int(events)) seconds=\(format(seconds, 3)) events_per_s=\(Int(events / seconds)) "
              + "p50_ms=\(format(latencies[statements / 2], 1)) p99_ms=\(format(latencies[Int(Double(statements) * 0.99)], 1)) "
              + "peak_rss_mib=\(format(after.peakRSSMiB, 1)) cpu_s=\(format(cpu, 2)) "
              + "cpu_s_per_million_events=\(format(cpu / (events / 1e6), 2)) rejections=\(rejected) duplicates=\(duplicates) "
              + "records_processed=\(loop.processedRecords) records_emitted=\(loop.emittedRecords) "
              + "allocator=\(ProcessAllocator.name)")
    }

    private func organisation(_ index: Int) -> String { "org-" + String(format: "%03d", index % organisations) }

    /// The driver's close-initiated statement (benchmarks/driver/statement_driver.c).
    private func statementJSON(id: String, organisation index: Int, index parity: Int) -> String {
        let org = organisation(index)
        let amount = 1000 + (index % organisations * 7919) % 100_000
        let method = parity % 2 == 0 ? "direct-debit" : "manual"
        return "{\"id\":\"\(id)\",\"organisationId\":\"\(org)\",\"status\":\"close-initiated\",\"amount\":\(amount),"
            + "\"currency\":\"EUR\",\"paymentMethod\":\"\(method)\",\"updatedAt\":\(milliseconds()),\"updatedBy\":\"system\"}"
    }
}

/// The number in `"id":"stmt-000042"` at the start of a statement's JSON, if there.
private func statementIndex(_ json: [UInt8]) -> Int? {
    let prefix = Array("{\"id\":\"stmt-".utf8)
    guard json.count > prefix.count, json.starts(with: prefix) else { return nil }
    var value = 0, position = prefix.count, digits = 0
    while position < json.count, json[position] >= 0x30, json[position] <= 0x39 {
        value = value * 10 + Int(json[position] - 0x30)
        position += 1
        digits += 1
    }
    return digits > 0 ? value : nil
}

private func microseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
}

private func milliseconds() -> Int64 { microseconds() / 1000 }

private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// Writes a line to standard output unbuffered (the process may be killed after it).
private func print(_ line: String, flush: Bool) {
    if flush { FileHandle.standardOutput.write(Data((line + "\n").utf8)) } else { Swift.print(line) }
}

/// This process's peak resident set and CPU time.
struct ResourceUsage {
    var peakRSSMiB: Double
    var cpuSeconds: Double

    static var current: ResourceUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var peak = Double(usage.ru_maxrss) / 1024
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
            peak = kib / 1024
        }
        return ResourceUsage(peakRSSMiB: peak, cpuSeconds: cpu)
    }
}
