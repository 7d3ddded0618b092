import Saga

/// The sequential model of one place-order saga: what its order's scenario fields (see
/// `PlaceOrder`) and the retry options make of it, written from the saga's rules rather
/// than from the orchestrator's code.
struct PlaceOrderModel {
    /// One history entry, modulo its time and detail.
    struct Entry: Hashable, CustomStringConvertible {
        var event: String
        var stepKey: Int?
        var status: SagaStatus
        var description: String { "\(event)\(stepKey.map { " \($0)" } ?? "") → \(status.rawValue)" }
    }

    /// What the saga must end with.
    struct Outcome {
        var status: SagaStatus
        var history: [Entry] = []
        /// The commands sent: signed step key and deferred attempt, in order.
        var commands: [(stepKey: Int, attempt: Int)] = []
        /// The compensations that succeeded, in order (the `undone_steps` hint).
        var undone: [Int] = []
        /// The step keys of the `command-sent` entries.
        var sentSteps: [Int] { history.filter { $0.event == "command-sent" }.compactMap(\.stepKey) }
    }

    let primaryAttempts: Int
    let compensationAttempts: Int
    let immediateAttempts: Int
    let fraudLimit: Int

    /// The saga of `order`.
    func outcome(of order: JSONObject) -> Outcome {
        var outcome = Outcome(status: .started)
        func record(_ event: String, _ step: Int?, _ status: SagaStatus) {
            outcome.status = status
            outcome.history.append(Entry(event: event, stepKey: step, status: status))
        }
        func send(_ step: Int, attempt: Int) {
            outcome.commands.append((step, attempt))
            record("command-sent", step, step > 0 ? .inProgress : .compensating)
        }
        /// Undoes `completed` in reverse order, until a compensation fails for good.
        func compensate(failedStep: Int, completed: [Int]) {
            record("step-failed", failedStep, .compensating)
            record("compensation-started", nil, .compensating)
            for step in completed.reversed() {
                let fails = step == 2 && order["refund_fails"]?.boolValue == true
                for attempt in 1...compensationAttempts {
                    send(-step, attempt: attempt)
                    guard fails else { break }
                    if attempt < compensationAttempts {
                        record("retry-scheduled", -step, .compensating)
                    } else {
                        return record("compensation-failed", -step, .compensationFailed)
                    }
                }
                record("undo-succeeded", -step, .compensating)
                outcome.undone.append(-step)
            }
            record("compensated", nil, .compensated)
        }

        record("started", nil, .started)
        // 1. validate-user (a query: nothing to undo).
        send(1, attempt: 1)
        if order["user_blocked"]?.boolValue == true || (order["username"]?.stringValue ?? "").isEmpty {
            compensate(failedStep: 1, completed: [])
            return outcome
        }
        record("step-succeeded", 1, .inProgress)
        // 2. make-payment: transient failures fail whole attempts; flaky ones fail tries within
        // an attempt and escalate to a deferred retry once the immediate retries run out.
        let transient = order["payment_transient_failures"]?.intValue ?? 0
        let flaky = order["payment_flaky"]?.intValue ?? 0
        for attempt in 1...primaryAttempts {
            send(2, attempt: attempt)
            if attempt > transient && flaky < immediateAttempts { break }
            if attempt < primaryAttempts {
                record("retry-scheduled", 2, .inProgress)
            } else {
                compensate(failedStep: 2, completed: [])
                return outcome
            }
        }
        record("step-succeeded", 2, .inProgress)
        if let amount = order["total_amount"]?.intValue, amount > fraudLimit {
            compensate(failedStep: 2, completed: [2])
            return outcome
        }
        // 3. reserve-items.
        send(3, attempt: 1)
        if order["out_of_stock"]?.boolValue == true {
            compensate(failedStep: 3, completed: [2])
            return outcome
        }
        record("step-succeeded", 3, .inProgress)
        // 4. schedule-delivery.
        send(4, attempt: 1)
        if order["no_courier"]?.boolValue == true {
            compensate(failedStep: 4, completed: [2, 3])
            return outcome
        }
        record("step-succeeded", 4, .inProgress)
        record("completed", nil, .completed)
        return outcome
    }
}
