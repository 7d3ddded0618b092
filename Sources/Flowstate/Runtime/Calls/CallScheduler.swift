import Metrics

/// A stream thread's calls: starts at most `limit` at once (the rest wait in arrival order),
/// hands back completions of calls still wanted, and counts them for metrics.
///
/// Used by its thread alone (or the test driver's).
final class CallScheduler {
    let executor: any CallExecutor
    /// Most calls running at once.
    let limit: Int
    /// Longest a call may run: less than the transaction timeout, so that a commit waiting for
    /// calls never outlives its transaction.
    let maxTimeout: Duration
    private let metrics: EngineMetrics?
    private var running: Set<CallID> = []
    private var waiting: [CallRequest] = []
    private var waitingHead = 0
    private var instruments: [String: EngineMetrics.CallInstruments] = [:]

    init(executor: any CallExecutor, limit: Int, maxTimeout: Duration, metrics: EngineMetrics?) {
        self.executor = executor
        self.limit = max(1, limit)
        self.maxTimeout = maxTimeout
        self.metrics = metrics
    }

    /// Calls running now.
    var inFlight: Int { running.count }
    /// Calls waiting for a free slot.
    var waitingCount: Int { waiting.count - waitingHead }
    /// Whether no call runs or waits.
    var isIdle: Bool { running.isEmpty && waitingCount == 0 }

    /// Starts `requests` (or queues those beyond the limit).
    func launch(_ requests: [CallRequest]) {
        guard !requests.isEmpty else { return }
        waiting += requests
        startWaiting()
    }

    private func startWaiting() {
        while running.count < limit, waitingHead < waiting.count {
            var request = waiting[waitingHead]
            waitingHead += 1
            if request.timeout > maxTimeout {
                request = CallRequest(id: request.id, name: request.name, timeout: maxTimeout, call: request.call)
            }
            running.insert(request.id)
            executor.start(request)
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
    }

    /// Completions of calls still wanted; starts waiting calls in the slots they free.
    func takeCompletions() -> [CallCompletion] {
        let completions = executor.takeCompletions().filter { running.remove($0.id) != nil }
        guard !completions.isEmpty else { return [] }
        if let metrics {
            for completion in completions {
                let instrument = instruments[completion.name] ?? metrics.callInstruments(step: completion.name)
                instruments[completion.name] = instrument
                instrument.record(completion)
            }
        }
        startWaiting()
        return completions
    }

    /// Drops the calls of `task` (rewound or closed): running ones are cancelled, waiting ones
    /// never start, and completions that still arrive are ignored.
    func forget(task: TaskID) {
        for id in running where id.task == task {
            running.remove(id)
            executor.cancel(id)
        }
        if waitingCount > 0 {
            waiting = waiting[waitingHead...].filter { $0.id.task != task }
            waitingHead = 0
        }
        startWaiting()
    }
}
