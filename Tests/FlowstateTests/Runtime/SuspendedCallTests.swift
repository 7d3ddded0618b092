import Flowstate
import FlowstateKafka
import FlowstateTesting
import Foundation
import Synchronization
import Testing

/// Counts the calls running at once.
final class ConcurrencyProbe: Sendable {
    private let state = Mutex<(running: Int, most: Int, started: Int)>((0, 0, 0))

    func enter() { state.withLock { $0.running += 1; $0.started += 1; $0.most = max($0.most, $0.running) } }
    func leave() { state.withLock { $0.running -= 1 } }
    /// Most calls seen running at once.
    var most: Int { state.withLock { $0.most } }
    /// Calls started in all.
    var started: Int { state.withLock { $0.started } }
}

/// Orders each record by its key and suspends it on a call that waits `<milliseconds>` (the
/// value is `<sequence>:<milliseconds>`, or `<sequence>:hang` for a call that never returns);
/// once the call is back, counts the key and forwards `<count>:<sequence>` (or
/// `<count>:<sequence>:timeout` when the call timed out twice).
struct SlowCallProcessor: Processor {
    let probe: ConcurrencyProbe
    let timeout: Duration

    func process(_ record: Record<String, String>, context: ProcessorContext<String, String>) throws {
        try context.order(by: record.key)
        try call(record, attempt: 1, context: context)
    }

    private func call(_ record: Record<String, String>, attempt: Int, context: ProcessorContext<String, String>) throws {
        let parts = record.value.split(separator: ":")
        let wait = parts.count > 1 ? Int(parts[1]) : nil
        let probe = probe
        try context.suspend("slow-call", timeout: timeout, {
            probe.enter()
            defer { probe.leave() }
            try await Task.sleep(for: .milliseconds(wait ?? 3_600_000))
            return wait ?? 0
        }, then: { result in
            var suffix = ""
            if case .failure(let error) = result {
                guard error is CallTimeout else { throw error }
                if attempt < 2 { return try call(record, attempt: attempt + 1, context: context) }
                suffix = ":timeout"
            }
            let counts = try context.keyValueStore("counts", key: String.self, value: Int.self)
            let count = (try counts.get(record.key) ?? 0) + 1
            try counts.put(record.key, count)
            try context.forward(record.with(value: "\(count):\(parts[0])\(suffix)"))
        })
    }
}

/// A task executor over a serial dispatch queue that counts the jobs it runs.
final class QueueTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "calls")
    private let count = Atomic<Int>(0)
    var jobs: Int { count.load(ordering: .acquiring) }

    func enqueue(_ job: consuming ExecutorJob) {
        count.add(1, ordering: .acquiringAndReleasing)
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

func slowCallTopology(probe: ConcurrencyProbe, timeout: Duration = .seconds(30)) throws -> Topology {
    let builder = TopologyBuilder()
    builder.addStore(Stores.persistent("counts", key: .string, value: .binary(Int.self)))
    builder.addSource("calls", topics: ["calls"], key: .string, value: .string)
        .process("slow-call", stores: ["counts"]) { SlowCallProcessor(probe: probe, timeout: timeout) }
        .to(topic: "called", key: .string, value: .string)
    return try builder.build()
}

@Suite(.serialized, .timeLimit(.minutes(3)))
struct SuspendedCallTests {
    /// Runs the slow-call topology over `input` until `count` outputs arrive; returns them in
    /// topic order (one partition: the order records were applied in).
    func run(_ input: [(key: String, value: String)], count: Int, partitions: Int = 1, maxInFlightCalls: Int = 4_096,
             probe: ConcurrencyProbe, timeout: Duration = .seconds(30),
             callExecutor: (any TaskExecutor)? = nil) async throws -> [KafkaConsumerRecord] {
        let harness = try EmbeddedClusterHarness(topics: ["calls": partitions, "called": partitions])
        try await harness.produce(topic: "calls", records: input)
        var config = harness.config(applicationID: "calls-\(UUID().uuidString.prefix(8))")
        config.maxInFlightCalls = maxInFlightCalls
        let app = FlowstateApplication(topology: try slowCallTopology(probe: probe, timeout: timeout), config: config,
                                       embeddedCluster: harness.cluster, callExecutor: callExecutor)
        // The application's status reports the calls in flight (the pods' flowstate_calls_in_flight).
        let sampling = Task {
            var most = 0
            while !Task.isCancelled {
                most = max(most, app.runtimeStatus.callsInFlight)
                try? await Task.sleep(for: .milliseconds(2))
            }
            return most
        }
        let outputs = try await withRunningApplication(app) {
            try await harness.drain(topic: "called", partitions: partitions, count: count, timeout: .seconds(90))
        }
        sampling.cancel()
        let reported = await sampling.value
        #expect(reported > 0, "status reported calls running or waiting: at most \(reported)")
        #expect(app.state == .stopped, "failure: \(String(describing: app.failure))")
        return outputs
    }

    @Test func aSlowKeyDoesNotHoldBackOtherKeysOfItsPartitionAndEachKeyKeepsItsOrder() async throws {
        // One partition: a slow key's three records (400 ms each) first, then 100 other keys'
        // three records each (5 ms), interleaved.
        var input: [(key: String, value: String)] = (0..<3).map { ("slow", "\($0):400") }
        for sequence in 0..<3 { for key in 0..<100 { input.append(("key-\(key)", "\(sequence):5")) } }
        let probe = ConcurrencyProbe()
        let outputs = try await run(input, count: input.count, probe: probe)

        #expect(outputs.count == input.count, "every record applied once")
        var seen: [String: [String]] = [:]
        for record in outputs { seen[record.keyString ?? "", default: []].append(record.valueString ?? "") }
        // Per key: applied in offset order, each once (count n with the n-th sequence number).
        for (key, values) in seen { #expect(values == ["1:0", "2:1", "3:2"], "\(key)") }
        #expect(seen.count == 101)
        // The other keys did not wait for the slow one: all 300 were applied before its last record.
        let lastSlow = try #require(outputs.lastIndex { $0.keyString == "slow" })
        #expect(outputs[..<lastSlow].filter { $0.keyString != "slow" }.count == 300)
        #expect(probe.most >= 10, "calls overlapped: at most \(probe.most) ran at once")
    }

    @Test func neverMoreCallsRunAtOnceThanTheBound() async throws {
        let input = (0..<400).map { (key: "key-\($0)", value: "0:10") }
        let probe = ConcurrencyProbe()
        let outputs = try await run(input, count: input.count, partitions: 4, maxInFlightCalls: 8, probe: probe)
        #expect(outputs.count == 400)
        #expect(Set(outputs.compactMap(\.keyString)).count == 400)
        #expect(probe.most <= 8, "the bound holds: \(probe.most) ran at once")
        #expect(probe.most == 8, "the bound is reached with 400 waiting: \(probe.most)")
    }

    @Test func aCallPastItsTimeoutIsRetriedAndOneThatNeverReturnsDoesNotBlockItsKey() async throws {
        // Key a: a call that never returns, then a quick one; key b: a quick one.
        let input = [(key: "a", value: "0:hang"), (key: "a", value: "1:5"), (key: "b", value: "0:5")]
        let probe = ConcurrencyProbe()
        let outputs = try await run(input, count: 3, probe: probe, timeout: .milliseconds(300))
        let values = outputs.map { "\($0.keyString ?? ""):\($0.valueString ?? "")" }
        #expect(values == ["b:1:0", "a:1:0:timeout", "a:2:1"], "b first, then a's hung call (timed out twice), then a's next record")
        #expect(probe.started == 4, "the hung call ran twice: \(probe.started) calls")
    }

    @Test func callsRunOnTheExecutorTheApplicationIsGiven() async throws {
        let executor = QueueTaskExecutor()
        // 300 ms calls: wide enough that the status sampler sees them in flight on a loaded runner.
        let input = (0..<50).map { (key: "key-\($0)", value: "0:300") }
        let outputs = try await run(input, count: 50, probe: ConcurrencyProbe(), callExecutor: executor)
        #expect(outputs.count == 50)
        #expect(executor.jobs >= 50, "the calls' jobs ran on the given executor: \(executor.jobs)")
    }

    @Test func theTestDriverWaitsForCallsAndKeepsEachKeysOrder() throws {
        let probe = ConcurrencyProbe()
        let driver = try TopologyTestDriver(topology: slowCallTopology(probe: probe), partitions: ["calls": 1, "called": 1])
        defer { driver.close() }
        let input = driver.inputTopic("calls", key: .string, value: .string)
        let output = driver.outputTopic("called", key: .string, value: .string)
        for sequence in 0..<3 { try input.pipeInput(key: "k", value: "\(sequence):1") }
        #expect(try output.readRecordsToList().map(\.value) == ["1:0", "2:1", "3:2"])
    }

    @Test func suspendingWithoutOrderingByAKeyIsRejectedWithTheReason() throws {
        let builder = TopologyBuilder()
        builder.addSource("calls", topics: ["calls"], key: .string, value: .string)
            .process("unordered") {
                ClosureProcessor<String, String, String, String> { _, context in
                    try context.suspend("unordered-call", { 1 }, then: { _ in })
                }
            }
        builder.processingErrorPolicy = .deadLetter
        let driver = try TopologyTestDriver(topology: try builder.build(), partitions: ["calls": 1])
        defer { driver.close() }
        try driver.inputTopic("calls", key: .string, value: .string).pipeInput(key: "k", value: "v")
        let dead = driver.deadLetters
        #expect(dead.count == 1)
        let reason = dead.first?.reason ?? ""
        #expect(reason.contains("order the record by a key"), "\(reason)")
    }
}
