import Flowstate
import Foundation
import Saga
import StatementLifecycle

/// The demo's load: statements over organisations and place-order sagas with a mix of outcomes,
/// drawn from a seeded generator so a run can be repeated.
struct DemoLoad: Sendable {
    /// What a saga is set up to do (fields of its order; see `PlaceOrder`).
    enum OrderScenario: String, CaseIterable, Sendable {
        case happy
        /// The payment gateway times out once or twice: deferred retries, then success.
        case paymentRetried = "payment-retried"
        /// The gateway is busy for a try or two: immediate retries inside the worker.
        case paymentFlaky = "payment-flaky"
        /// The gateway keeps timing out until the retries run out: compensated.
        case paymentFailed = "payment-failed"
        /// Blocked user: the first step fails, nothing to undo.
        case userBlocked = "user-blocked"
        /// Out of stock: the payment is refunded.
        case outOfStock = "out-of-stock"
        /// No courier: the reservation is released and the payment refunded.
        case noCourier = "no-courier"
        /// Over the fraud limit: `onNext` after the payment forces a refund.
        case fraud
        /// No courier and the refund service is down: compensation fails, dead-lettered.
        case refundFails = "refund-fails"

        /// Share of sagas, in per mille.
        var perMille: Int {
            switch self {
            case .happy: 700
            case .paymentRetried: 80
            case .paymentFlaky: 50
            case .paymentFailed: 30
            case .userBlocked: 20
            case .outOfStock: 60
            case .noCourier: 30
            case .fraud: 10
            case .refundFails: 20
            }
        }

        /// The terminal status the saga must reach.
        var expectedStatus: SagaStatus {
            switch self {
            case .happy, .paymentRetried, .paymentFlaky: .completed
            case .paymentFailed, .userBlocked, .outOfStock, .noCourier, .fraud: .compensated
            case .refundFails: .compensationFailed
            }
        }
    }

    /// One saga to start.
    struct Order: Sendable {
        let transactionID: String
        let scenario: OrderScenario
        let entity: JSONObject
    }

    let statementCount: Int
    let sagaCount: Int
    let organisations: Int
    let seed: UInt64
    /// Prefixes every id, so runs on a shared cluster do not collide (empty on an embedded one).
    let idPrefix: String

    func statementID(_ index: Int) -> String { "\(idPrefix)st-\(pad(index, 6))" }
    func transactionID(_ index: Int) -> String { "\(idPrefix)order-\(pad(index, 5))" }

    /// Statement `index`: its organisation, an amount between 10.00 and 5,000.00 (spread
    /// log-uniformly, so small amounts are common), 60 % direct debit.
    func statement(_ index: Int) -> Statement {
        var random = SeededRandom(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        let organisation = "\(idPrefix)org-\(pad(random.next(below: organisations), 3))"
        let amount = Int((1_000 * pow(500, random.unit())).rounded())
        let method: Statement.PaymentMethod = random.next(below: 10) < 6 ? .directDebit : .manual
        return Statement(id: statementID(index), organisationId: organisation, amount: amount, paymentMethod: method)
    }

    /// Saga `index`: an order whose fields pick its scenario.
    func order(_ index: Int) -> Order {
        var random = SeededRandom(seed: seed &+ 0x5A6A &+ UInt64(index) &* 0xC2B2_AE35)
        var draw = random.next(below: 1_000)
        var scenario = OrderScenario.happy
        for candidate in OrderScenario.allCases {
            if draw < candidate.perMille { scenario = candidate; break }
            draw -= candidate.perMille
        }
        var entity: JSONObject = [
            "username": .string("user-\(pad(random.next(below: 300), 3))"),
            "total_amount": .int(500 + random.next(below: 200_000)),
            "items": .int(1 + random.next(below: 5)),
        ]
        switch scenario {
        case .happy: break
        case .paymentRetried: entity["payment_transient_failures"] = .int(1 + random.next(below: 2))
        case .paymentFlaky: entity["payment_flaky"] = .int(1 + random.next(below: 2))
        case .paymentFailed: entity["payment_transient_failures"] = .int(99)
        case .userBlocked: entity["user_blocked"] = .bool(true)
        case .outOfStock: entity["out_of_stock"] = .bool(true)
        case .noCourier: entity["no_courier"] = .bool(true)
        case .fraud: entity["total_amount"] = .int(1_500_000)
        case .refundFails: entity["no_courier"] = .bool(true); entity["refund_fails"] = .bool(true)
        }
        return Order(transactionID: transactionID(index), scenario: scenario, entity: entity)
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

