import Flowstate

/// The calls of one simulated instance: each finishes after a seed-chosen delay of simulated
/// time (0–40 ms), so calls started together finish in a seed-chosen order, and crashes, pauses
/// and rebalances find calls in flight.
///
/// A call's body runs on the simulation's thread when it is due (the scenarios' bodies never wait
/// on real time); waiting for a completion advances simulated time, as an idle poll does.
final class SimulatedCallExecutor: CallExecutor, @unchecked Sendable {
    static let longestDelay: Int64 = 40
    private let kafka: SimulatedKafka
    private var pending: [(request: CallRequest, due: Int64)] = []
    private let runner = CallerThreadCallExecutor()

    init(kafka: SimulatedKafka) { self.kafka = kafka }

    func start(_ request: CallRequest) {
        let delay = Int64.random(in: 0...Self.longestDelay, using: &kafka.random)
        pending.append((request, kafka.clock.now + delay))
    }

    func cancel(_ id: CallID) { pending.removeAll { $0.request.id == id } }

    /// The calls due by now, earliest first (ties in start order), each run to its end here.
    func takeCompletions() -> [CallCompletion] {
        let now = kafka.clock.now
        guard pending.contains(where: { $0.due <= now }) else { return [] }
        let due = pending.enumerated().filter { $0.element.due <= now }
            .sorted { ($0.element.due, $0.offset) < ($1.element.due, $1.offset) }.map(\.element.request)
        pending.removeAll { $0.due <= now }
        return due.map(run)
    }

    /// Advances simulated time to the next call's end, at most `timeout`.
    func waitForCompletions(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let limit = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let now = kafka.clock.now
        let next = pending.map(\.due).min().map { max(0, $0 - now) } ?? limit
        kafka.advance(by: min(limit, next))
    }

    private func run(_ request: CallRequest) -> CallCompletion {
        runner.start(request)
        while true {
            if let completion = runner.takeCompletions().first { return completion }
            runner.waitForCompletions(timeout: .seconds(1))
        }
    }
}
