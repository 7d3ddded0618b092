import Flowstate
import FlowstateKafka
@testable import FlowstatePod
import FlowstateTesting
import Foundation
import Saga
import StatementLifecycle
import Synchronization
import Testing

/// A statement pod killed with SIGKILL on `flowstate dev-broker` and started again 2 s later
/// (issue 13): every statement still closes, and its stored history holds each status once.
///
/// `FLOWSTATE_CRASH_ITERATIONS` (default 1) repeats each case inside the test, so a hole that
/// shows in one run of three cannot pass a soak by luck (`scripts/crash-soak.sh`);
/// `FLOWSTATE_CRASH_STATEMENTS` (default 1,500; the issue had 3,000) sets how many statements;
/// `FLOWSTATE_CRASH_CASES` (e.g. `mid/same-state-dir,approvals/fresh-state-dir`) runs only those.
@Suite(.serialized, .timeLimit(.minutes(2 * CrashSoak.iterations + 1)))
struct StatementCrashTests {
    static var iterations: Int { CrashSoak.iterations }
    static var statementCount: Int { CrashSoak.statements }
    static let autoApprovalLimit = 50_000
    static let organisations = 97
    static let applicationID = "crash"

    /// When pod `pa` gets SIGKILL.
    enum KillPoint: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// After ~5% of the statements are seen closed.
        case early
        /// After ~25% are seen closed (the issue's observation).
        case mid
        /// Right after the approver flushed a batch of `approve` commands, once the first statements
        /// close (or after its third batch, if approvals end before any closing is seen).
        case approvals

        var testDescription: String { rawValue }

        func closedBeforeKill(of total: Int) -> Int {
            switch self {
            case .early: total / 20
            case .mid: total / 4
            case .approvals: 1
            }
        }
    }

    /// Where the killed pod starts again (same instance id either way).
    enum Restart: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sameStateDir = "same-state-dir"
        case freshStateDir = "fresh-state-dir"

        var testDescription: String { rawValue }
    }

    /// Statements as in the issue: keyed by organisation (97), a third paid manually, amounts
    /// 10.00–910.00 (minor units), so about half wait for a person.
    static func statement(_ index: Int) -> Statement {
        Statement(id: String(format: "st-%05d", index), organisationId: "org-\(index % organisations)",
                  amount: 1_000 + (index * 7_919) % 90_001, paymentMethod: index % 3 == 0 ? .manual : .directDebit)
    }

    @Test(arguments: KillPoint.allCases, Restart.allCases)
    func aKilledStatementPodLosesNoTransition(kill: KillPoint, restart: Restart) async throws {
        if let cases = CrashSoak.cases, !cases.contains("\(kill.rawValue)/\(restart.rawValue)") {
            try Test.cancel("not among FLOWSTATE_CRASH_CASES")
        }
        for iteration in 1...Self.iterations {
            let started = ContinuousClock.now
            let problems = try await run(kill: kill, restart: restart, iteration: iteration, stepLatency: 0)
            print("crash \(kill.rawValue) \(restart.rawValue) #\(iteration): \(problems.isEmpty ? "passed" : "FAILED") "
                  + "in \(ContinuousClock.now - started)\(problems.isEmpty ? "" : ": " + problems.joined(separator: " | "))")
        }
    }

    /// Issue 14: every automatic step is a 200 ms call off the stream thread, so the pod is killed
    /// with many calls in flight (their records not yet committed); nothing may be lost or repeated.
    @Test(arguments: [Restart.sameStateDir, .freshStateDir])
    func aPodKilledWithCallsInFlightLosesNoTransition(restart: Restart) async throws {
        if let cases = CrashSoak.cases, !cases.contains("calls/\(restart.rawValue)") {
            try Test.cancel("not among FLOWSTATE_CRASH_CASES")
        }
        for iteration in 1...Self.iterations {
            let started = ContinuousClock.now
            let problems = try await run(kill: .mid, restart: restart, iteration: iteration, stepLatency: 200)
            print("crash calls \(restart.rawValue) #\(iteration): \(problems.isEmpty ? "passed" : "FAILED") "
                  + "in \(ContinuousClock.now - started)\(problems.isEmpty ? "" : ": " + problems.joined(separator: " | "))")
        }
    }

    /// One run; records its failures as expectations and returns them (for the soak's summary).
    ///
    /// - Parameter stepLatency: Milliseconds each automatic step awaits (`--step-latency`).
    func run(kill point: KillPoint, restart: Restart, iteration: Int, stepLatency: Int) async throws -> [String] {
        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard !condition else { return }
            let text = "[\(point.rawValue), \(restart.rawValue), run \(iteration)] \(message())"
            problems.append(text)
            Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
        }
        let total = Self.statementCount
        let options = StatementLifecycle.Options(autoApprovalLimit: Self.autoApprovalLimit)
        let machine = try StatementLifecycle.machine(options)
        let broker = try FlowstateProcess(["dev-broker"] + machine.topics.flatMap { ["--topic", "\($0):4"] })
        let banner = try #require(await broker.readLine())
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        defer { broker.terminate() }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var addresses: [String: String] = [:]
        var stateDirs: [String: String] = [:]
        var starts = 0
        func pod(_ name: String, stateDir: String) throws -> FlowstateProcess {
            let port = try ListeningSocket.freePort()
            addresses[name] = "127.0.0.1:\(port)"
            stateDirs[name] = stateDir
            starts += 1
            return try FlowstateProcess(["run", "statement", "--auto-approval-limit", String(Self.autoApprovalLimit),
                                         "--bootstrap-servers", servers, "--application-id", Self.applicationID,
                                         "--instance-id", name, "--state-dir", stateDir, "--http-port", String(port),
                                         "--advertised-address", "127.0.0.1:\(port)", "--step-latency", String(stepLatency),
                                         // The default 10 s: at 6 s an overloaded two-core machine (CI beside
                                         // other soaks) timed sessions out over and over and the group never
                                         // settled. The killed pod rejoins with its static instance id anyway.
                                         "--kafka-property", "session.timeout.ms=10000"],
                                        logFile: "\(root)/\(name)-\(starts).log")
        }
        let client = PodHTTPClient()
        var pods = ["pa": try pod("pa", stateDir: "\(root)/pa"), "pb": try pod("pb", stateDir: "\(root)/pb")]
        defer { for pod in pods.values { pod.terminate() } }
        #expect(await client.waitReady([addresses["pa"]!, addresses["pb"]!]), "both pods become ready")

        // People approve as statements wait; for `approvals` the kill fires inside the approver,
        // right after a batch of commands was flushed.
        let trigger = KillTrigger()
        let approver = StatementApprover(autoApprovalLimit: Self.autoApprovalLimit, flushed: { _ in trigger.fire() })
        let approving = Task { try await approver.run(servers: servers) }
        defer { approving.cancel() }

        // A steady stream of statements over a few seconds, so that at any kill point statements are
        // at every stage and the pods are busy: transactions open, changelog writes in flight.
        let producing = Task {
            let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
            let serde = JSONSerde<Statement>()
            let batch = max(1, total / CrashSoak.produceBatches)
            for start in stride(from: 0, to: total, by: batch) {
                for index in start..<min(total, start + batch) {
                    let statement = Self.statement(index)
                    try producer.produce(KafkaProducerRecord(topic: "statement.close-initiated", key: Array(statement.organisationId.utf8),
                                                             value: try serde.serialize(statement)))
                }
                try await producer.flush()
                try await Task.sleep(for: CrashSoak.produceInterval)
            }
            try await producer.close()
        }
        defer { producing.cancel() }
        let serde = JSONSerde<Statement>()

        let closedTopic = machine.topic(of: .closed)
        let reader = try TopicReader(servers: servers, topics: [closedTopic])
        defer { reader.close() }
        func closedIDs() -> Set<String> {
            Set(reader.records.compactMap { $0.value.flatMap { try? serde.deserialize($0).id } })
        }
        /// Each pod's tasks (`subtopology_partition`), once both answer `/ready`.
        func ownership() async -> [String: Set<String>] {
            _ = await client.waitReady([addresses["pa"]!, addresses["pb"]!], timeout: .seconds(30))
            return ["pa": await client.readyTasks(addresses["pa"]!) ?? [], "pb": await client.readyTasks(addresses["pb"]!) ?? []]
        }
        func partitions(_ tasks: Set<String>?) -> Set<Int32> {
            Set((tasks ?? []).compactMap { $0.split(separator: "_").last.flatMap { Int32($0) } })
        }

        // Who owns what once statements flow (asked before the kill point, so the kill is not delayed).
        _ = try await reader.waitUntil(timeout: .seconds(60)) { !reader.records.isEmpty }
        let ownedAtKill = await ownership()
        let threshold = point.closedBeforeKill(of: total)
        // `approvals` arms at the first closing, or after three batches of approvals if they end sooner.
        let reached = try await reader.waitUntil(timeout: .seconds(90)) {
            closedIDs().count >= threshold || (point == .approvals && trigger.flushes >= 3)
        }
        check(reached, "\(threshold) statements close before the kill: \(closedIDs().count)")
        if point == .approvals {
            trigger.arm(pods["pa"]!.process.processIdentifier)
            let fired = try await reader.waitUntil(timeout: .seconds(60)) { trigger.hasFired }
            check(fired, "a batch of approvals is flushed while statements are closing")
            if !fired { kill(pods["pa"]!.process.processIdentifier, SIGKILL) }
        } else {
            if stepLatency > 0 {
                // How many calls pa had running or waiting just before the kill (its metrics, ten samples).
                var most = 0.0
                for _ in 0..<10 {
                    let metrics = try? await client.get(address: addresses["pa"]!, path: "/metrics")
                    let line = metrics.flatMap { String(decoding: $0.body, as: UTF8.self).split(separator: "\n")
                        .first { $0.hasPrefix("flowstate_calls_in_flight ") } }
                    most = max(most, line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0)
                    try await Task.sleep(for: .milliseconds(50))
                }
                print("crash calls \(restart.rawValue) #\(iteration): before the kill pa reported up to \(Int(most)) calls in flight")
            }
            kill(pods["pa"]!.process.processIdentifier, SIGKILL)
        }
        let closedAtKill = closedIDs().count
        #expect(await pods["pa"]!.waitForExit(timeout: .seconds(5)) != 0, "pa dies of SIGKILL")
        try await Task.sleep(for: .seconds(2))
        pods["pa"] = try pod("pa", stateDir: restart == .sameStateDir ? "\(root)/pa" : "\(root)/pa-fresh")

        // Wait for every closing while they still arrive; a hole shows as closings that stop short
        // while both pods are ready. A pod that is still rejoining or restoring when closings stall
        // (a two-core machine running other suites beside this one) gets another stall window once
        // both answer ready, so a slow recovery is not taken for a loss.
        var lastProgress = ContinuousClock.now, lastCount = -1
        let deadline = ContinuousClock.now + .seconds(150)
        var owned: [String: Set<String>] = [:]
        for _ in 1...2 {
            lastProgress = ContinuousClock.now
            _ = try await reader.waitUntil(timeout: .seconds(150)) {
                let count = closedIDs().count
                if count != lastCount { (lastCount, lastProgress) = (count, ContinuousClock.now) }
                return count == total || ContinuousClock.now - lastProgress > .seconds(25) || ContinuousClock.now > deadline
            }
            owned = await ownership()
            try await reader.poll()
            if closedIDs().count == total || ContinuousClock.now > deadline { break }
        }
        try await producing.value
        check(!owned["pa"]!.isEmpty && !owned["pb"]!.isEmpty, "both pods are ready at the end")
        let missing = Set((0..<total).map { Self.statement($0).id }).subtracting(closedIDs())
        // For the message: whether the missing closings were written at all (the embedded broker
        // serves read_uncommitted readers every record, read_committed ones up to the stable offset).
        var writtenUncommitted = 0
        if !missing.isEmpty {
            let uncommitted = try TopicReader(servers: servers, topics: [closedTopic], isolationLevel: .readUncommitted)
            _ = try await uncommitted.waitUntil(timeout: .seconds(3)) { false }
            writtenUncommitted = missing.intersection(uncommitted.records.compactMap { $0.value.flatMap { try? serde.deserialize($0).id } }).count
            uncommitted.close()
        }

        // Stop both pods at once (neither takes the other's tasks meanwhile) and read the state
        // each committed for the tasks it owned last: the truth a restart or a query starts from.
        let (podA, podB) = (pods["pa"]!, pods["pb"]!)
        async let stoppedA = podA.stop(signal: SIGTERM, timeout: .seconds(35))
        async let stoppedB = podB.stop(signal: SIGTERM, timeout: .seconds(35))
        let (statusA, statusB) = await (stoppedA, stoppedB)
        check(statusA == 0 && statusB == 0, "pods stop cleanly: pa \(String(describing: statusA)), pb \(String(describing: statusB))")
        approving.cancel()
        _ = await broker.stop()
        check(owned["pa"]!.isDisjoint(with: owned["pb"]!), "each task has one owner at the end: pa \(owned["pa"]!.sorted()), pb \(owned["pb"]!.sorted())")
        let stored = try storedState(owned: owned, stateDirs: stateDirs, into: "\(root)/final", machine: machine)
        let killed = partitions(ownedAtKill["pa"])
        print("crash \(point.rawValue) \(restart.rawValue) #\(iteration): pa owned partitions \(killed.sorted()) when killed with "
              + "\(closedAtKill) of \(total) closed, \(partitions(owned["pa"]).sorted()) at the end")

        // Every statement reaches `statement.closed` (read_committed).
        let storedStatuses = Dictionary(grouping: missing, by: { stored.entities[$0]?.status.rawValue ?? "absent" }).mapValues(\.count)
        check(missing.isEmpty, "\(missing.count) of \(total) statements never reached \(closedTopic) (read_committed; "
              + "\(writtenUncommitted) of them are there read_uncommitted) after pa was killed with \(closedAtKill) closed and "
              + "restarted on \(restart == .sameStateDir ? "the same" : "a fresh") state dir; the stores say \(storedStatuses); "
              + "partitions \(Set(missing.map(Self.partition(of:))).sorted()), e.g. \(missing.sorted().prefix(5))")

        // The embedded broker shows records of transactions that never committed (it writes no
        // abort markers) and stores no transactional offset commits (only the mirror commit, which
        // fails while the group rebalances): the killed pod's open transaction stays visible and
        // its work is done again after the restart, and so is the last work on a partition that
        // changed owners in the rebalance the restart causes. A closing may repeat there only;
        // anywhere else a repeat is a real exactly-once failure.
        let moved = killed.symmetricDifference(partitions(owned["pa"]))
        let replayable = killed.union(moved)
        let repeats = Dictionary(grouping: reader.records, by: { $0.value.flatMap { try? serde.deserialize($0).id } ?? "" })
            .filter { $0.value.count > 1 }
        let unexplained = repeats.filter { $0.value.contains { !replayable.contains($0.partition) } }
        check(unexplained.isEmpty, "\(unexplained.count) statements closed more than once on partitions neither the killed pod "
              + "owned (\(killed.sorted())) nor that changed owners (\(moved.sorted())); repeats there are the embedded "
              + "broker's limit (it shows records of transactions that never committed), not elsewhere: "
              + "\(unexplained.keys.sorted().prefix(5))")

        // Every statement is stored closed, its history each status of its path once, in order.
        var wrong: [String] = []
        for index in 0..<total {
            let expected = Self.statement(index)
            let path = ["close-initiated", "waiting-for-approval", "approved",
                        expected.paymentMethod == .manual ? "payment-initiated" : "direct-debit-initiated",
                        "payment-received-initiated", "payment-received", "closed"]
            let approver = expected.amount <= Self.autoApprovalLimit ? "auto-approval" : approver.actor
            let statuses = stored.history[expected.id]?.map(\.status)
            let entity = stored.entities[expected.id]
            if entity?.status != .closed || statuses != path || stored.history[expected.id]?[2].actor != approver {
                wrong.append("\(expected.id): \(entity?.status.rawValue ?? "absent"), history \(statuses?.joined(separator: ">") ?? "absent")")
            }
        }
        check(wrong.isEmpty, "\(wrong.count) statements are not stored closed with each status once in their history: \(wrong.prefix(5))")

        if !problems.isEmpty {
            let kept = "/tmp/last-crash-\(point.rawValue)-\(restart.rawValue)"
            try? FileManager.default.removeItem(atPath: kept)
            try? FileManager.default.copyItem(atPath: root, toPath: kept)
            print("crash \(point.rawValue) \(restart.rawValue) #\(iteration): logs and state dirs kept in \(kept)")
            // The pods' warnings and errors, for a run whose directory is gone (CI).
            for log in ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter({ $0.hasSuffix(".log") }).sorted() {
                let lines = ((try? String(contentsOfFile: "\(root)/\(log)", encoding: .utf8)) ?? "").split(separator: "\n")
                let notable = lines.filter { ($0.contains("warning") || $0.contains("error") || $0.contains("critical")) && !$0.contains("CONFWARN") }
                print("crash \(point.rawValue) \(restart.rawValue) #\(iteration): \(log), \(lines.count) lines, last warnings and errors:")
                for line in notable.suffix(25) { print("  \(line.prefix(400))") }
            }
        }
        return problems
    }

    /// The partition (of every statement topic) of statement `id`'s organisation, as the pods' sinks pick it.
    static func partition(of id: String) -> Int32 {
        let organisation = statement(Int(id.dropFirst(3))!).organisationId
        return KafkaPartitioner.partition(forKey: Array(organisation.utf8), partitionCount: 4)
    }

    /// Each statement's entity and history as committed by the pod that owned its task last:
    /// the owners' task directories gathered into one state directory, read with the test driver.
    func storedState(owned: [String: Set<String>], stateDirs: [String: String], into directory: String,
                     machine: StateMachine<Statement>) throws -> (entities: [String: Statement], history: [String: [LifecycleEvent]]) {
        let files = FileManager.default
        try files.createDirectory(atPath: "\(directory)/\(Self.applicationID)", withIntermediateDirectories: true)
        for (name, tasks) in owned {
            for task in tasks {
                let source = "\(stateDirs[name]!)/\(Self.applicationID)/\(task)"
                if files.fileExists(atPath: source) { try files.copyItem(atPath: source, toPath: "\(directory)/\(Self.applicationID)/\(task)") }
            }
        }
        let driver = try TopologyTestDriver(topology: StatementLifecycle.topology(.init(autoApprovalLimit: Self.autoApprovalLimit)),
                                            applicationID: Self.applicationID,
                                            partitions: Dictionary(uniqueKeysWithValues: machine.topics.map { ($0, 4) }),
                                            stateDirectory: directory)
        defer { driver.close() }
        let entities = try driver.keyValueStore(machine.entityStore, key: String.self, value: Statement.self).all()
        let history = try driver.keyValueStore(machine.historyStore, key: String.self, value: [LifecycleEvent].self).all()
        return (Dictionary(entities.map { ($0.key, $0.value) }) { $1 }, Dictionary(history.map { ($0.key, $0.value) }) { $1 })
    }
}

/// The soak's settings, from the environment.
enum CrashSoak {
    static let iterations = max(1, Int(ProcessInfo.processInfo.environment["FLOWSTATE_CRASH_ITERATIONS"] ?? "") ?? 1)
    static let statements = max(100, Int(ProcessInfo.processInfo.environment["FLOWSTATE_CRASH_STATEMENTS"] ?? "") ?? 1_500)
    /// Statements are produced in this many batches, one every ``produceInterval`` (~6 s in all:
    /// fast enough that the pods are busy when one is killed, which the hole needs; with 60
    /// batches it showed about half as often). `FLOWSTATE_CRASH_BATCHES` overrides it.
    static let produceBatches = Int(ProcessInfo.processInfo.environment["FLOWSTATE_CRASH_BATCHES"] ?? "") ?? 30
    static let produceInterval = Duration.milliseconds(200)
    /// Only these cases (`kill/restart`, comma-separated, e.g. `mid/same-state-dir`); `nil`: all.
    static let cases = ProcessInfo.processInfo.environment["FLOWSTATE_CRASH_CASES"].map { Set($0.split(separator: ",").map(String.init)) }
}

/// Kills a process the moment it is fired, once armed (from the approver's task, right after a flush).
final class KillTrigger: Sendable {
    private let state = Mutex<(pid: pid_t?, fired: Bool, flushes: Int)>((nil, false, 0))

    func arm(_ pid: pid_t) { state.withLock { $0.pid = pid } }

    func fire() {
        state.withLock {
            $0.flushes += 1
            guard let pid = $0.pid, !$0.fired else { return }
            kill(pid, SIGKILL)
            $0.fired = true
        }
    }

    var hasFired: Bool { state.withLock { $0.fired } }
    /// Batches flushed so far.
    var flushes: Int { state.withLock { $0.flushes } }
}
