import Flowstate
import FlowstateTesting
import Foundation
import Testing

struct Order: Codable, Equatable, Sendable {
    var id: String
    var customer: String
    var amount: Int
}

/// Two stores: orders by id, and the running total per customer.
func twoStoreTopology(policy: ProcessingErrorPolicy = .fail) throws -> Topology {
    let builder = TopologyBuilder()
    builder.processingErrorPolicy = policy
    builder.addStore(Stores.persistent("orders", key: .string, value: .binary(Order.self)))
    builder.addStore(Stores.inMemory("totals", key: .string, value: .binary(Int.self)))
    builder.addSource("orders-in", topics: ["orders"], key: .string, value: .json(Order.self))
        .process("record-order", stores: ["orders", "totals"]) { (record: Record<String, Order>, context: ProcessorContext<String, Int>) in
            guard record.value.amount >= 0 else { throw ValidationFailure(reason: "negative amount \(record.value.amount)") }
            let orders = try context.keyValueStore("orders", key: String.self, value: Order.self)
            let totals = try context.keyValueStore("totals", key: String.self, value: Int.self)
            let previous = try orders.get(record.value.id)?.amount ?? 0
            try orders.put(record.value.id, record.value)
            let total = (try totals.get(record.value.customer) ?? 0) - previous + record.value.amount
            try totals.put(record.value.customer, total)
            // A second failure point after the writes: the record's writes must be undone.
            if record.value.amount == 13 { throw ValidationFailure(reason: "unlucky amount") }
            try context.forward(Record(key: record.value.customer, value: total, timestamp: record.timestamp))
        }
        .to(topic: "customer-totals", key: .string, value: .json(Int.self))
    return try builder.build()
}

struct ValidationFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

@Suite struct TopologyTestDriverTests {
    @Test func twoStoresStayConsistentAcrossUpdates() throws {
        let driver = try TopologyTestDriver(topology: twoStoreTopology())
        let orders = driver.inputTopic("orders", key: .string, value: .json(Order.self))
        let totals = driver.outputTopic("customer-totals", key: .string, value: .json(Int.self))
        try orders.pipeInput(key: "o1", value: Order(id: "o1", customer: "ann", amount: 10))
        try orders.pipeInput(key: "o2", value: Order(id: "o2", customer: "ann", amount: 5))
        try orders.pipeInput(key: "o1", value: Order(id: "o1", customer: "ann", amount: 2))
        try orders.pipeInput(key: "o3", value: Order(id: "o3", customer: "bob", amount: 7))
        #expect(try totals.readKeyValues().map(\.value) == [10, 15, 7, 7])
        let orderStore = try driver.keyValueStore("orders", key: String.self, value: Order.self)
        let totalStore = try driver.keyValueStore("totals", key: String.self, value: Int.self)
        #expect(try orderStore.get("o1") == Order(id: "o1", customer: "ann", amount: 2))
        #expect(try totalStore.get("ann") == 7)
        #expect(try totalStore.get("bob") == 7)
        #expect(try orderStore.approximateCount() == 3)
    }

    @Test func undecodableRecordsGoToTheDeadLetterTopicWithTheReasonAndChangeNothing() throws {
        let driver = try TopologyTestDriver(topology: twoStoreTopology(), applicationID: "shop")
        let orders = driver.inputTopic("orders", key: .string, value: .json(Order.self))
        try orders.pipeRaw(key: Array("o1".utf8), value: Array("{not json".utf8))
        try orders.pipeRaw(key: Array("o2".utf8), value: Array(#"{"id":"o2","customer":"ann","amount":"ten"}"#.utf8))
        try orders.pipeInput(key: "o3", value: Order(id: "o3", customer: "ann", amount: 4))
        let letters = driver.deadLetters
        #expect(letters.count == 2)
        #expect(letters.allSatisfy { $0.stage == "deserialization" })
        #expect(letters[0].value == Array("{not json".utf8), "the original bytes are kept")
        #expect(letters[1].reason.contains("amount"), "the reason names the field: \(letters[1].reason)")
        #expect(letters[0].origin == "orders:0:0")
        #expect(driver.records(of: "shop-dlq").count == 2)
        #expect(try driver.keyValueStore("totals", key: String.self, value: Int.self).get("ann") == 4)
    }

    @Test func aThrowingProcessorFailsTheRunUnderTheFailPolicy() throws {
        let driver = try TopologyTestDriver(topology: twoStoreTopology(policy: .fail))
        let orders = driver.inputTopic("orders", key: .string, value: .json(Order.self))
        let error = #expect(throws: FlowstateError.self) {
            try orders.pipeInput(key: "o1", value: Order(id: "o1", customer: "ann", amount: -1))
        }
        #expect(error?.code == .processing)
        #expect(error?.message.contains("orders-0@0") == true, "names topic, partition and offset: \(String(describing: error))")
    }

    @Test func aThrowingProcessorsWritesAreUndoneAndTheRecordDeadLetteredUnderTheDeadLetterPolicy() throws {
        let driver = try TopologyTestDriver(topology: twoStoreTopology(policy: .deadLetter))
        let orders = driver.inputTopic("orders", key: .string, value: .json(Order.self))
        let totals = driver.outputTopic("customer-totals", key: .string, value: .json(Int.self))
        try orders.pipeInput(key: "o1", value: Order(id: "o1", customer: "ann", amount: 5))
        try orders.pipeInput(key: "o2", value: Order(id: "o2", customer: "ann", amount: 13))
        try orders.pipeInput(key: "o3", value: Order(id: "o3", customer: "ann", amount: 1))
        #expect(try totals.readKeyValues().map(\.value) == [5, 6])
        let letters = driver.deadLetters
        #expect(letters.count == 1)
        #expect(letters.first?.stage == "processing")
        #expect(letters.first?.reason.contains("unlucky") == true)
        #expect(try driver.keyValueStore("orders", key: String.self, value: Order.self).get("o2") == nil,
                "the failed record's store writes were undone")
        #expect(try driver.keyValueStore("totals", key: String.self, value: Int.self).get("ann") == 6)
        #expect(driver.records(of: "test-orders-changelog").count == 2, "no changelog record for the failed one")
    }

    @Test func wallClockPunctuationsFireAsTheClockAdvances() throws {
        let builder = TopologyBuilder()
        builder.addSource("in", topics: ["ticks"], key: .string, value: .string)
            .process("ticker") { TickerProcessor() }
            .to(topic: "tocks", key: .string, value: .string)
        let driver = try TopologyTestDriver(topology: builder.build(), startTime: 1_000)
        try driver.inputTopic("ticks", key: .string, value: .string).pipeInput(key: "start", value: "go")
        let tocks = driver.outputTopic("tocks", key: .string, value: .string)
        try driver.advanceWallClockTime(by: .milliseconds(999))
        #expect(tocks.isEmpty)
        try driver.advanceWallClockTime(by: .milliseconds(1))
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(try tocks.readKeyValues().map(\.value) == ["2000", "3000"])
    }

    @Test func streamTimePunctuationsFollowRecordTimestampsNotTheWallClock() throws {
        let builder = TopologyBuilder()
        builder.addSource("in", topics: ["events"], key: .string, value: .string)
            .process("windows") { WindowCloser() }
            .to(topic: "closed", key: .string, value: .string)
        let driver = try TopologyTestDriver(topology: builder.build())
        let events = driver.inputTopic("events", key: .string, value: .string)
        let closed = driver.outputTopic("closed", key: .string, value: .string)
        try events.pipeInput(key: "e", value: "1", timestamp: 500)
        try driver.advanceWallClockTime(by: .seconds(60))
        #expect(closed.isEmpty, "wall-clock time does not move stream time")
        try events.pipeInput(key: "e", value: "2", timestamp: 1_000)
        try events.pipeInput(key: "e", value: "3", timestamp: 3_500)
        #expect(try closed.readKeyValues().map(\.value) == ["1000", "3500"])
    }

    @Test func durableTimersFireOnceInDueOrderAndCanBeCancelled() throws {
        let builder = TopologyBuilder()
        builder.addStore(Stores.timers("reminders"))
        builder.addSource("in", topics: ["requests"], key: .string, value: .string)
            .process("remind", stores: ["reminders"]) { ReminderProcessor() }
            .to(topic: "reminders-due", key: .string, value: .string)
        let driver = try TopologyTestDriver(topology: builder.build(), startTime: 0)
        let requests = driver.inputTopic("requests", key: .string, value: .string)
        let due = driver.outputTopic("reminders-due", key: .string, value: .string)
        try requests.pipeInput(key: "late", value: "5000")
        try requests.pipeInput(key: "early", value: "2000")
        try requests.pipeInput(key: "cancelled", value: "3000")
        try requests.pipeInput(key: "cancelled", value: "cancel")
        try driver.advanceWallClockTime(by: .seconds(1))
        #expect(due.isEmpty)
        try driver.advanceWallClockTime(by: .seconds(5))
        #expect(try due.readKeyValues().map(\.key) == ["early", "late"])
        try driver.advanceWallClockTime(by: .seconds(10))
        #expect(due.isEmpty, "a timer fires once")
        #expect(driver.records(of: "test-reminders-changelog").count > 0, "timers are logged like any store")
    }
}

struct TickerProcessor: Processor {
    mutating func initialize(context: ProcessorContext<String, String>) throws {
        context.schedule(every: .seconds(1), .wallClockTime) { time in
            try context.forward(Record(key: "tick", value: "\(time)", timestamp: time))
        }
    }
    func process(_ record: Record<String, String>, context: ProcessorContext<String, String>) throws {}
}

struct ReminderProcessor: Processor {
    var timers: DurableTimers<String, String>?

    mutating func initialize(context: ProcessorContext<String, String>) throws {
        timers = try context.durableTimers("reminders", key: String.self, payload: String.self,
                                           checkEvery: .milliseconds(500)) { timer in
            try context.forward(Record(key: timer.key, value: timer.payload, timestamp: timer.dueTime))
        }
    }

    func process(_ record: Record<String, String>, context: ProcessorContext<String, String>) throws {
        if record.value == "cancel" {
            try timers?.cancel(key: record.key)
        } else {
            try timers?.schedule(key: record.key, at: Int64(record.value) ?? 0, payload: "due \(record.key)")
        }
    }
}

struct WindowCloser: Processor {
    mutating func initialize(context: ProcessorContext<String, String>) throws {
        context.schedule(every: .seconds(1), .streamTime) { time in
            try context.forward(Record(key: "window", value: "\(time)", timestamp: time))
        }
    }
    func process(_ record: Record<String, String>, context: ProcessorContext<String, String>) throws {}
}
