import ArgumentParser
import Flowstate
import FlowstateKafka
import Foundation
import Logging
import PlaceOrder
import Saga
import StatementLifecycle
import Synchronization

/// `flowstate demo`: the statement lifecycle and the place-order saga under load, on an
/// embedded Kafka cluster in this process.
///
/// Starts the cluster, creates the topics, runs the statement lifecycle, the place-order
/// orchestrator and its worker as Flowstate applications, and produces statements (over
/// organisations, mixed amounts and payment methods) and sagas (a mix of outcomes). Simulated
/// approvers approve what waits for a person. A live line shows progress and transitions/s;
/// the closing table is read back from the stores' changelogs and the topics, and any
/// statement or saga that is stuck or ended wrongly makes the command exit 1, naming it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the statement lifecycle and the place-order saga under load on an in-process embedded Kafka cluster.",
        discussion: """
            With no flags: 10,000 statements over 500 organisations and 2,000 sagas on 4 partitions. \
            Progress goes to stderr, the summary to stdout; the exit status is 1 when a statement or saga \
            is stuck or ended other than it should, 0 otherwise. The embedded cluster keeps ~5 MB per \
            partition: for larger loads raise --partitions, or run on a real cluster with --bootstrap-servers.
            """
    )

    @Option(help: "Statements to close.")
    var statements = 10_000
    @Option(help: "Place-order sagas to run.")
    var sagas = 2_000
    @Option(help: "Organisations the statements belong to (the statements' partition key).")
    var organisations = 500
    @Option(help: "Partitions of every topic.")
    var partitions = 4
    @Option(help: "Seconds over which the load is produced; 0 produces it all at once.")
    var duration: Double = 5
    @Option(help: "Seconds to wait, after the load is produced, for every statement to close and every saga to end.")
    var timeout: Double = 120
    @Option(help: "Amounts (minor units) up to which statements are approved automatically; -1: people approve every one.")
    var autoApprovalLimit = 25_000
    @Option(help: "Milliseconds every automatic statement step and every saga endpoint awaits first, off the stream thread: a stand-in for a call to another service.")
    var stepLatency = 0
    @Option(help: "Seed of the generated load.")
    var seed: UInt64 = 1
    @Option(help: "Run on this Kafka cluster (e.g. a `flowstate dev-broker`) instead of an embedded one.")
    var bootstrapServers: String?
    @Flag(help: "Log the applications at info level (default: warnings only).")
    var verbose = false

    /// Statements and sagas per partition that stay under the embedded broker's ~5 MB per
    /// partition (measured: the history and instance changelogs are the largest topics).
    static let embeddedStatementsPerPartition = 6_000
    static let embeddedSagasPerPartition = 1_500

    func validate() throws {
        guard statements >= 0 else { throw ValidationError("--statements must not be negative (got \(statements))") }
        guard sagas >= 0 else { throw ValidationError("--sagas must not be negative (got \(sagas))") }
        guard statements + sagas > 0 else { throw ValidationError("--statements and --sagas are both 0: nothing to run") }
        guard organisations >= 1 else { throw ValidationError("--organisations must be at least 1 (got \(organisations))") }
        guard (1...64).contains(partitions) else { throw ValidationError("--partitions must be 1…64 (got \(partitions))") }
        guard duration >= 0, duration <= 3_600 else { throw ValidationError("--duration must be 0…3600 seconds (got \(duration))") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive (got \(timeout))") }
        guard stepLatency >= 0 else { throw ValidationError("--step-latency must not be negative (got \(stepLatency))") }
        guard autoApprovalLimit >= -1 else { throw ValidationError("--auto-approval-limit must be -1 or more (got \(autoApprovalLimit))") }
        if bootstrapServers == nil {
            if statements > Self.embeddedStatementsPerPartition * partitions {
                throw ValidationError("--statements \(statements) over \(partitions) partitions exceeds what the embedded broker keeps "
                                      + "(~5 MB per partition, about \(Self.embeddedStatementsPerPartition) statements each): "
                                      + "raise --partitions to \((statements + Self.embeddedStatementsPerPartition - 1) / Self.embeddedStatementsPerPartition) or use --bootstrap-servers")
            }
            if sagas > Self.embeddedSagasPerPartition * partitions {
                throw ValidationError("--sagas \(sagas) over \(partitions) partitions exceeds what the embedded broker keeps "
                                      + "(~5 MB per partition, about \(Self.embeddedSagasPerPartition) sagas each): "
                                      + "raise --partitions to \((sagas + Self.embeddedSagasPerPartition - 1) / Self.embeddedSagasPerPartition) or use --bootstrap-servers")
            }
        }
    }

    func run() async throws {
        var logger = Logger(label: "flowstate.demo") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .info : .warning
        let cluster = try DemoCluster(bootstrapServers: bootstrapServers)
        defer { cluster.shutdown() }
        // On a shared cluster, ids carry the run's tag so earlier runs do not collide.
        let idPrefix = cluster.embedded == nil ? String(UUID().uuidString.lowercased().prefix(6)) + "-" : ""
        let limit = autoApprovalLimit >= 0 ? autoApprovalLimit : nil
        let load = DemoLoad(statementCount: statements, sagaCount: sagas, organisations: organisations, seed: seed, idPrefix: idPrefix)
        print("Flowstate demo: \(DemoFormat.count(statements)) statements over \(DemoFormat.count(organisations)) organisations, "
              + "\(DemoFormat.count(sagas)) place-order sagas, \(partitions) partitions per topic")
        print((cluster.embedded == nil ? "cluster: " : "embedded cluster: ") + "bootstrap.servers=\(cluster.bootstrapServers)")
        print("auto-approval: " + (limit.map { "amounts up to \(DemoFormat.count($0)) (minor units)" } ?? "off") + "; people approve the rest")
        if stepLatency > 0 { print("every automatic step and saga endpoint awaits \(stepLatency) ms (a stand-in for a remote call)") }
        fflush(nil)

        try await cluster.createTopics(DemoApplications.topics, partitions: partitions)
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("flowstate-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let apps = try DemoApplications(cluster: cluster, stateDirectory: stateDirectory, autoApprovalLimit: limit,
                                        stepLatency: .milliseconds(stepLatency), logger: logger)
        let monitor = try DemoMonitor(servers: cluster.servers, idPrefix: idPrefix)
        let approver = try DemoApprover(servers: cluster.servers, idPrefix: idPrefix, autoApprovalLimit: limit)
        let running = apps.start()
        let events = DemoEvents()
        let followers = [
            Task { do { try await monitor.run() } catch { events.fail("following the topics failed: \(error)") } },
            Task { do { try await approver.run() } catch { events.fail("the approvers failed: \(error)") } },
        ]
        func stopEverything() async {
            followers.forEach { $0.cancel() }
            for follower in followers { await follower.value }
            apps.stop()
            _ = try? await running.value
            monitor.close()
            await approver.close()
        }

        let startingAt = ContinuousClock.now
        stderr("starting \(apps.all.count) applications (statement, place-order, \(apps.workers.count) worker listener(s))…\n")
        guard await apps.waitUntilReady(timeout: .seconds(90)) else {
            let reason = apps.failure ?? "the applications were not ready within 90 s"
            await stopEverything()
            throw DemoFailure(reason)
        }
        stderr(String(format: "ready in %.1f s; producing the load over %.0f s\n", DemoProgress.seconds(ContinuousClock.now - startingAt), duration))

        let start = ContinuousClock.now
        let generator = Task {
            do {
                try await DemoGenerator(load: load, servers: cluster.servers).produce(over: duration)
                events.produced()
            } catch {
                events.fail("producing the load failed: \(error)")
            }
        }
        var progress = DemoProgress(statements: statements, sagas: sagas)
        var finished: ContinuousClock.Instant?
        var failure: String?
        while true {
            try? await Task.sleep(for: .milliseconds(200))
            let counts = monitor.counts
            let producing = !events.isProduced
            progress.update(counts, elapsed: ContinuousClock.now - start, producing: producing)
            if let reason = apps.failure ?? events.failure { failure = reason; break }
            if !producing, counts.closedStatements.count >= statements, counts.endedSagas.count >= sagas {
                finished = ContinuousClock.now
                break
            }
            if !producing, ContinuousClock.now - start > .seconds(duration + timeout) { break }
        }
        progress.finish()
        generator.cancel()
        await generator.value
        if let failure {
            await stopEverything()
            throw DemoFailure(failure)
        }
        let elapsed = (finished ?? ContinuousClock.now) - start
        if finished == nil { stderr("timed out after \(Int(duration + timeout)) s; reading what the stores hold\n") }

        // Let every task recount its statuses once more, so the gauges show the final state.
        try? await Task.sleep(for: DemoApplications.statusCountInterval * 2 + .milliseconds(500))
        let gauges: [String: [String: Int]]? = idPrefix.isEmpty ? [
            "statement": Dictionary(uniqueKeysWithValues: StatementStatus.allCases.map { ($0.rawValue, apps.statementStatuses.count(of: $0.rawValue)) }),
            PlaceOrder.sagaName: Dictionary(uniqueKeysWithValues: SagaStatus.allCases.map { ($0.rawValue, apps.sagaStatuses.count(of: $0.rawValue)) }),
        ] : nil
        let stores = try await DemoStores.read(servers: cluster.servers, idPrefix: idPrefix)
        let deadLettered = apps.deadLetteredRecords
        let counts = monitor.counts
        await stopEverything()

        let summary = DemoSummary(load: load, stores: stores, topics: counts, gauges: gauges, deadLetteredRecords: deadLettered,
                                  elapsed: elapsed, peakRate: progress.peakRate)
        print(summary.table)
        guard summary.problems.isEmpty else {
            for problem in summary.problems { stderr("✗ \(problem)\n") }
            throw ExitCode(1)
        }
        print("✓ every statement closed and every saga ended as its scenario says; the table is what the stores and topics hold")
    }

    private func stderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

/// What the demo's background tasks report to its main loop.
final class DemoEvents: Sendable {
    private let state = Mutex<(produced: Bool, failure: String?)>((false, nil))

    var isProduced: Bool { state.withLock { $0.produced } }
    var failure: String? { state.withLock { $0.failure } }
    func produced() { state.withLock { $0.produced = true } }
    func fail(_ reason: String) { state.withLock { if $0.failure == nil { $0.failure = reason } } }
}

/// Why the demo could not run to its summary.
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
