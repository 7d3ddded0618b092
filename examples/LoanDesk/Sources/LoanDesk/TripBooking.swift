public import Saga

/// The trip-booking saga: book a flight, then a hotel room, then a rental car; when a step
/// fails for good, the bookings already made are cancelled in reverse order.
///
/// The endpoints stand in for the airline, the hotel and the car-rental services; what they do
/// is decided by fields of the trip (the saga's JSON entity), so a demo can choose outcomes:
///
/// | field | effect |
/// |---|---|
/// | `flight_unavailable: true` | book-flight fails non-retryably (`error_code` `NO_FLIGHT`): nothing to cancel |
/// | `hotel_unavailable: true` | book-room fails non-retryably (`NO_ROOM`): the flight is cancelled |
/// | `car_unavailable: true` | book-car fails non-retryably (`NO_CAR`): the room, then the flight, are cancelled |
/// | `hotel_busy_attempts: n` | book-room fails retryably on its first `n` attempts, then succeeds |
public enum TripBooking {
    /// The saga's name: `saga.start.trip-booking`, `trip-booking-instances`, …
    public static let sagaName = "trip-booking"
    /// The worker's name: the application id of its endpoints' listener.
    public static let workerName = "trip-booking-worker"
    /// The airline's endpoint (step 1).
    public static let bookFlight = "airline.book-flight"
    /// The hotel's endpoint (step 2).
    public static let bookRoom = "hotel.book-room"
    /// The car-rental endpoint (step 3).
    public static let bookCar = "car-rental.book-car"

    /// Retry settings.
    public struct Options: Sendable, Hashable {
        /// Deferred retries of bookings.
        public var retry: SagaRetryPolicy
        /// Deferred retries of cancellations.
        public var compensationRetry: SagaRetryPolicy
        /// Tries at once in the worker.
        public var immediateRetry: ImmediateRetryPolicy
        /// Each endpoint execution first awaits this long (a stand-in for the remote call).
        public var callLatency: Duration

        /// Options; the defaults suit a demo: 4 attempts from 500 ms, 20 ms calls.
        public init(retry: SagaRetryPolicy = SagaRetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(500)),
                    compensationRetry: SagaRetryPolicy = SagaRetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(500)),
                    immediateRetry: ImmediateRetryPolicy = ImmediateRetryPolicy(maxAttempts: 3, backoff: .milliseconds(10)),
                    callLatency: Duration = .milliseconds(20)) {
            self.retry = retry
            self.compensationRetry = compensationRetry
            self.immediateRetry = immediateRetry
            self.callLatency = callLatency
        }
    }

    /// The saga definition: three command steps; `cancellations` (a hint) lists the undone
    /// steps in the order they were undone.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func definition(_ options: Options = Options()) throws -> SagaDefinition {
        try SagaDefinition(
            name: sagaName,
            steps: [.command(bookFlight, key: 1), .command(bookRoom, key: 2), .command(bookCar, key: 3)],
            retry: options.retry, compensationRetry: options.compensationRetry,
            onNextRevert: { step, _, hints in
                var cancelled = hints["cancellations"]?.arrayValue ?? []
                cancelled.append(.string(step.topicSuffix))
                hints["cancellations"] = .array(cancelled)
            })
    }

    /// The orchestrator (run as `loan-desk run trip-booking`).
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for this fixed definition).
    public static func orchestrator(_ options: Options = Options()) throws -> SagaOrchestrator {
        SagaOrchestrator(try definition(options))
    }

    /// The worker with the three endpoints (run as `loan-desk run trip-booking-worker`).
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for these fixed endpoints).
    public static func worker(_ options: Options = Options()) throws -> SagaWorker {
        try SagaWorker(name: workerName, serving: [sagaName],
                       endpoints: TripBookingEndpoints.all(retry: options.immediateRetry).map { $0.delayed(by: options.callLatency) })
    }
}

/// The trip-booking worker's endpoints (simulated services; see ``TripBooking``).
public enum TripBookingEndpoints {
    /// All three, sharing one listener.
    ///
    /// - Throws: ``SagaDefinitionError`` (never, for these fixed endpoints).
    public static func all(retry: ImmediateRetryPolicy) throws -> [SagaEndpoint] {
        [try bookFlight(retry: retry), try bookRoom(retry: retry), try bookCar(retry: retry)]
    }

    /// `airline.book-flight`: books a seat (`flight_booking`); the undo cancels it.
    public static func bookFlight(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command(TripBooking.bookFlight, primaryRetry: retry, revertRetry: retry) { execution in
            if execution.entity["flight_unavailable"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("no seat on the flight", context: ["error_code": "NO_FLIGHT"])
            }
            execution.entity["flight_booking"] = .string("flight-\(execution.idempotencyKey)")
        } undo: { execution in
            execution.hints["cancelled_flight"] = execution.entity["flight_booking"] ?? .null
        }
    }

    /// `hotel.book-room`: books a room (`hotel_booking`); the undo cancels it.
    public static func bookRoom(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command(TripBooking.bookRoom, primaryRetry: retry, revertRetry: retry) { execution in
            if execution.entity["hotel_unavailable"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("the hotel is full", context: ["error_code": "NO_ROOM"])
            }
            let busy = execution.entity["hotel_busy_attempts"]?.intValue ?? 0
            if execution.retryContext.attempt <= busy {
                throw SagaEndpointError.retryable("the hotel's system is busy (attempt \(execution.retryContext.attempt))")
            }
            execution.entity["hotel_booking"] = .string("room-\(execution.idempotencyKey)")
        } undo: { execution in
            execution.hints["cancelled_room"] = execution.entity["hotel_booking"] ?? .null
        }
    }

    /// `car-rental.book-car`: books a car (`car_booking`); the undo cancels it.
    public static func bookCar(retry: ImmediateRetryPolicy) throws -> SagaEndpoint {
        try .command(TripBooking.bookCar, primaryRetry: retry, revertRetry: retry) { execution in
            if execution.entity["car_unavailable"]?.boolValue == true {
                throw SagaEndpointError.nonRetryable("no car available", context: ["error_code": "NO_CAR"])
            }
            execution.entity["car_booking"] = .string("car-\(execution.idempotencyKey)")
        } undo: { execution in
            execution.hints["cancelled_car"] = execution.entity["car_booking"] ?? .null
        }
    }
}
