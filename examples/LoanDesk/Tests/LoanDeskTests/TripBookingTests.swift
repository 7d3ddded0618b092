import Flowstate
import FlowstateTesting
import LoanDesk
import Saga
import Testing

/// The trip-booking orchestrator and its worker in one test driver: commands and replies flow
/// between them synchronously; deferred retries fire as the wall clock advances.
final class TripBookingHarness {
    let driver: TopologyTestDriver
    let starts: TestInputTopic<String, JSONObject>

    init() throws {
        let options = TripBooking.Options(callLatency: .zero)
        let builder = TopologyBuilder()
        try TripBooking.orchestrator(options).addTo(builder)
        try TripBooking.worker(options).addTo(builder)
        driver = try TopologyTestDriver(topology: try builder.build(), applicationID: "trip-booking", startTime: 10_000)
        starts = driver.inputTopic("saga.start.trip-booking", key: .string, value: .json(JSONObject.self))
    }

    func start(_ id: String, _ trip: JSONObject = [:]) throws {
        var entity: JSONObject = ["traveller": "ada", "destination": "Lisbon"]
        entity.merge(trip) { $1 }
        try starts.pipeInput(key: id, value: entity)
    }

    func instance(_ id: String) throws -> SagaInstance {
        try #require(try driver.keyValueStore("trip-booking-instances", key: String.self, value: SagaInstance.self).get(id))
    }

    /// Signed step keys of the commands sent for `id`, in order.
    func sent(_ id: String) throws -> [Int] {
        try instance(id).history.filter { $0.event == "command-sent" }.compactMap(\.stepKey)
    }
}

@Suite struct TripBookingTests {
    @Test func aTripWhoseBookingsAllSucceedCompletesWithEachBookingInTheEntity() throws {
        let harness = try TripBookingHarness()
        defer { harness.driver.close() }
        try harness.start("trip-1")
        let instance = try harness.instance("trip-1")
        #expect(instance.status == .completed)
        #expect(try harness.sent("trip-1") == [1, 2, 3])
        #expect(instance.entity["flight_booking"] == "flight-trip-1:1")
        #expect(instance.entity["hotel_booking"] == "room-trip-1:2")
        #expect(instance.entity["car_booking"] == "car-trip-1:3")
        #expect(instance.completedCommandSteps == [1, 2, 3])
        #expect(instance.hints["cancellations"] == nil)
        #expect(instance.history.last?.event == "completed")
    }

    @Test func noCarCancelsTheRoomThenTheFlight() throws {
        let harness = try TripBookingHarness()
        defer { harness.driver.close() }
        try harness.start("trip-2", ["car_unavailable": true])
        let instance = try harness.instance("trip-2")
        #expect(instance.status == .compensated)
        #expect(try harness.sent("trip-2") == [1, 2, 3, -2, -1], "compensation in reverse order")
        #expect(instance.errorContext == ["error_code": "NO_CAR"])
        #expect(instance.failure == "step 3 failed: no car available")
        #expect(instance.hints["cancellations"] == ["hotel.book-room", "airline.book-flight"])
        #expect(instance.hints["cancelled_room"] == "room-trip-2:2")
        #expect(instance.hints["cancelled_flight"] == "flight-trip-2:1")
        #expect(instance.hints["cancelled_car"] == nil, "the failed booking has nothing to cancel")
        #expect(instance.entity["car_booking"] == nil)
        #expect(instance.history.map(\.event).suffix(7) == ["step-failed", "compensation-started", "command-sent", "undo-succeeded",
                                                           "command-sent", "undo-succeeded", "compensated"])
    }

    @Test func aFullHotelCancelsOnlyTheFlight() throws {
        let harness = try TripBookingHarness()
        defer { harness.driver.close() }
        try harness.start("trip-3", ["hotel_unavailable": true])
        let instance = try harness.instance("trip-3")
        #expect(instance.status == .compensated)
        #expect(try harness.sent("trip-3") == [1, 2, -1])
        #expect(instance.hints["cancellations"] == ["airline.book-flight"])
    }

    @Test func noFlightEndsTheSagaWithNothingToCancel() throws {
        let harness = try TripBookingHarness()
        defer { harness.driver.close() }
        try harness.start("trip-4", ["flight_unavailable": true])
        let instance = try harness.instance("trip-4")
        #expect(instance.status == .compensated)
        #expect(try harness.sent("trip-4") == [1])
        #expect(instance.errorContext == ["error_code": "NO_FLIGHT"])
    }

    @Test func aBusyHotelIsAskedAgainLaterWithTheSameIdempotencyKeyAndTheTripCompletes() throws {
        let harness = try TripBookingHarness()
        defer { harness.driver.close() }
        try harness.start("trip-5", ["hotel_busy_attempts": 1])
        #expect(try harness.instance("trip-5").status == .inProgress)
        try harness.driver.advanceWallClockTime(by: .milliseconds(600))
        let instance = try harness.instance("trip-5")
        #expect(instance.status == .completed)
        #expect(instance.retries == 1)
        #expect(try harness.sent("trip-5") == [1, 2, 2, 3])
        #expect(instance.entity["hotel_booking"] == "room-trip-5:2")
    }
}
