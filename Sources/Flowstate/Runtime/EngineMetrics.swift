import Metrics

/// The engine's swift-metrics instruments, all named `flowstate_…`, shared by the stream
/// threads of one application.
///
/// Counters are incremented once per poll loop or commit, never per record. Gauges that
/// describe the whole instance (readiness, lag, store sizes, rates) are derived from
/// ``ApplicationStatus`` by whoever exports them (the pod's metrics endpoint).
struct EngineMetrics: Sendable {
    private let processedRecords: Counter
    private let deadLetteredRecords: Counter
    private let commits: Counter
    private let transactionAborts: Counter
    private let restoredRecords: Counter
    private let commitLatency: Metrics.Timer
    private let applicationID: String
    private let factory: any MetricsFactory

    init(applicationID: String, factory: any MetricsFactory) {
        let dimensions = [("application", applicationID)]
        processedRecords = Counter(label: "flowstate_records_processed_total", dimensions: dimensions, factory: factory)
        deadLetteredRecords = Counter(label: "flowstate_records_dead_lettered_total", dimensions: dimensions, factory: factory)
        commits = Counter(label: "flowstate_commits_total", dimensions: dimensions, factory: factory)
        transactionAborts = Counter(label: "flowstate_transaction_aborts_total", dimensions: dimensions, factory: factory)
        restoredRecords = Counter(label: "flowstate_restored_records_total", dimensions: dimensions, factory: factory)
        commitLatency = Metrics.Timer(label: "flowstate_commit_latency_seconds", dimensions: dimensions, factory: factory)
        self.applicationID = applicationID
        self.factory = factory
    }

    /// The instruments of one worker's or endpoint's calls (made once per name by the caller).
    func callInstruments(step: String) -> CallInstruments {
        CallInstruments(applicationID: applicationID, step: step, factory: factory)
    }

    /// A worker's or endpoint's call durations and outcomes (`success`, `failure`, `timeout`).
    struct CallInstruments {
        let duration: Metrics.Timer
        let success: Counter
        let failure: Counter
        let timeout: Counter

        init(applicationID: String, step: String, factory: any MetricsFactory) {
            let dimensions = [("application", applicationID), ("step", step)]
            duration = Metrics.Timer(label: "flowstate_call_duration_seconds", dimensions: dimensions, factory: factory)
            func outcome(_ name: String) -> Counter {
                Counter(label: "flowstate_calls_total", dimensions: dimensions + [("outcome", name)], factory: factory)
            }
            success = outcome("success")
            failure = outcome("failure")
            timeout = outcome("timeout")
        }

        func record(_ completion: CallCompletion) {
            let (seconds, attoseconds) = completion.duration.components
            duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            switch completion.result {
            case .success: success.increment()
            case .failure(let error) where error is CallTimeout: timeout.increment()
            case .failure: failure.increment()
            }
        }
    }

    /// Counts the records one poll loop processed.
    func recordProcessed(_ count: Int) { if count > 0 { processedRecords.increment(by: count) } }
    /// Counts one dead-lettered record.
    func recordDeadLetter() { deadLetteredRecords.increment() }
    /// Counts one commit and its latency.
    func recordCommit(latency: Duration) {
        commits.increment()
        let (seconds, attoseconds) = latency.components
        commitLatency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
    /// Counts one aborted transaction.
    func recordAbort() { transactionAborts.increment() }
    /// Counts restored changelog records.
    func recordRestored(_ count: Int) { if count > 0 { restoredRecords.increment(by: count) } }
}
