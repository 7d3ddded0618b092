public import Saga

/// The place-order saga of seed 004: validate the user (a query), take the payment (a
/// command, undone by a refund), reserve the items (undone by releasing them) and schedule
/// the delivery (undone by cancelling it).
///
/// The workers stand in for other services; what they do is decided by fields of the order
/// (the domain entity state), so a load can mix outcomes:
///
/// | field | effect |
/// |---|---|
/// | `user_blocked: true` | validate-user fails non-retryably |
/// | `payment_transient_failures: n` | make-payment fails retryably on its first `n` attempts |
/// | `payment_flaky: n` | make-payment fails immediately-retryably on its first `n` tries of an attempt |
/// | `out_of_stock: true` | reserve-items fails non-retryably (`error_code` `OUT_OF_STOCK`) |
/// | `no_courier: true` | schedule-delivery fails non-retryably (`error_code` `NO_COURIER`) |
/// | `refund_fails: true` | the refund fails retryably every time: compensation fails |
/// | `total_amount` over 1,000,000 | `onNext` after the payment forces compensation (fraud rule) |
public enum PlaceOrder {
    /// The saga's name.
    public static let sagaName = "place-order"
    /// The worker's name (application id of its shared listener).
    public static let workerName = "place-order-worker"

    /// Retry settings.
    public struct Options: Sendable, Hashable {
        /// Deferred retries of primary steps.
        public var retry: SagaRetryPolicy
        /// Deferred retries of compensations.
        public var compensationRetry: SagaRetryPolicy
        /// Immediate retries in the worker.
        public var immediateRetry: ImmediateRetryPolicy
        /// Each endpoint execution first awaits this long, off the stream thread: a stand-in
        /// for the call to the user, payment, inventory or shipping service. Default: none.
        public var stepLatency: Duration = .zero

        /// Creates options; the defaults suit the demo (short backoffs).
        public init(retry: SagaRetryPolicy = SagaRetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(500)),
                    compensationRetry: SagaRetryPolicy = SagaRetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(500)),
                    immediateRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(maxAttempts: 3, backoff: .milliseconds(10))) {
            self.retry = retry
            self.compensationRetry = compensationRetry
            self.immediateRetry = immediateRetry
        }
    }

    /// The fraud rule's limit on `total_amount`.
    public static let fraudLimit = 1_000_000

    /// The saga definition.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func definition(_ options: Options = Options()) throws -> SagaDefinition {
        try SagaDefinition(
            name: sagaName,
            steps: [
                .query("user-service.validate-user", key: 1),
                .command("payment-service.make-payment", key: 2),
                .command("inventory-service.reserve-items", key: 3),
                .command("shipping-service.schedule-delivery", key: 4),
            ],
            retry: options.retry, compensationRetry: options.compensationRetry,
            onNext: { step, entity in
                if step.key == 2, let amount = entity["total_amount"]?.intValue, amount > fraudLimit {
                    throw FraudRuleViolation(amount: amount)
                }
                entity["last_completed_step"] = .int(step.key)
            },
            onNextRevert: { step, _, hints in
                var undone = hints["undone_steps"]?.arrayValue ?? []
                undone.append(.int(step.compensationKey))
                hints["undone_steps"] = .array(undone)
            })
    }

    /// The orchestrator.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func orchestrator(_ options: Options = Options()) throws -> SagaOrchestrator {
        SagaOrchestrator(try definition(options))
    }

    /// The worker with its four endpoints.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for these fixed endpoints).
    public static func worker(_ options: Options = Options()) throws -> SagaWorker {
        try SagaWorker(name: workerName, serving: [sagaName],
                       endpoints: PlaceOrderEndpoints.all(retry: options.immediateRetry).map { $0.delayed(by: options.stepLatency) })
    }
}

/// Thrown by `onNext` when an order's amount breaks the fraud rule.
struct FraudRuleViolation: Error, CustomStringConvertible {
    let amount: Int
    var description: String { "total_amount \(amount) exceeds the fraud limit \(PlaceOrder.fraudLimit)" }
}
