public import Saga

/// The place-order worker's endpoints (simulated services; see ``PlaceOrder``).
public enum PlaceOrderEndpoints {
    /// All four, sharing one listener.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for these fixed endpoints).
    public static func all(retry: ImmediateRetryPolicy) throws -> [SagaEndpoint] {
        [try validateUser(retry: retry), try makePayment(retry: retry), try reserveItems(retry: retry),
         try scheduleDelivery(retry: retry)]
    }

    /// `user-service.validate-user` (query): checks the user and marks the order validated.
    public static func validateUser(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .query("user-service.validate-user", retry: retry) { execution in
            guard let username = execution.entity["username"]?.stringValue, !username.isEmpty else {
                throw SagaEndpointError.nonRetryable("the order has no username", context: ["error_code": "NO_USER"])
            }
            if execution.entity["user_blocked"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("user \(username) is blocked", context: ["error_code": "USER_BLOCKED"])
            }
            execution.entity["is_user_validated"] = true
        }
    }

    /// `payment-service.make-payment` (command): charges the order; the undo refunds it.
    public static func makePayment(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command("payment-service.make-payment", primaryRetry: retry, revertRetry: retry) { execution in
            let transient = execution.entity["payment_transient_failures"]?.intValue ?? 0
            if execution.retryContext.attempt <= transient {
                throw SagaEndpointError.retryable("payment gateway timed out (attempt \(execution.retryContext.attempt))")
            }
            let flaky = execution.entity["payment_flaky"]?.intValue ?? 0
            if execution.retryContext.retryCount < flaky {
                throw SagaEndpointError.immediatelyRetryable("payment gateway busy (try \(execution.retryContext.retryCount + 1))")
            }
            execution.entity["payment_reference_id"] = .string("pay-\(execution.idempotencyKey)")
        } undo: { execution in
            if execution.entity["refund_fails"]?.boolValue == true {
                throw SagaEndpointError.retryable("refund service unavailable")
            }
            execution.hints["refunded_payment"] = execution.entity["payment_reference_id"] ?? .null
            execution.hints["refund_reason"] = .string(execution.errorContext["error_code"] ?? "unknown")
            execution.hints["refund_saw_release"] = .bool(execution.hints["released_reservation"] != nil)
        }
    }

    /// `inventory-service.reserve-items` (command): reserves stock; the undo releases it.
    public static func reserveItems(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command("inventory-service.reserve-items", primaryRetry: retry, revertRetry: retry) { execution in
            if execution.entity["out_of_stock"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("items out of stock", context: ["error_code": "OUT_OF_STOCK"])
            }
            execution.entity["reservation_id"] = .string("res-\(execution.idempotencyKey)")
        } undo: { execution in
            execution.hints["released_reservation"] = execution.entity["reservation_id"] ?? .null
        }
    }

    /// `shipping-service.schedule-delivery` (command): books a courier; the undo cancels it.
    public static func scheduleDelivery(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command("shipping-service.schedule-delivery", primaryRetry: retry, revertRetry: retry) { execution in
            if execution.entity["no_courier"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("no courier available", context: ["error_code": "NO_COURIER"])
            }
            execution.entity["delivery_id"] = .string("del-\(execution.idempotencyKey)")
        } undo: { execution in
            execution.hints["cancelled_delivery"] = execution.entity["delivery_id"] ?? .null
        }
    }
}
