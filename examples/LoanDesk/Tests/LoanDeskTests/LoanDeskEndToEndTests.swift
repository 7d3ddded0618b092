import Flowstate
import FlowstateKafka
import Foundation
import LoanDesk
import Saga
import Testing

/// The package's own `loan-desk` binary, as a user runs it: a dev broker, three pods (the loan
/// machine, the trip-booking orchestrator, its worker), loans submitted to `loan.submitted`,
/// underwriters' decisions through `loan-desk command`, `loan-desk show`, sagas through
/// `loan-desk saga start|show`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct LoanDeskEndToEndTests {
    @Test func loansAreDecidedThroughTheCLIAndDisbursedAndTripsCompleteOrCompensateOnPodsOfTheLoanDeskBinary() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: LoanDeskProcess.executable.path),
                     "build the executable first: swift build --build-tests")
        let broker = try LoanDeskProcess(["dev-broker", "--topology", "loan:4", "--topology", "trip-booking:4",
                                          "--topology", "trip-booking-worker:4"])
        defer { broker.terminate() }
        let banner = try #require(await broker.readLine())
        try #require(banner.hasPrefix("bootstrap.servers="), "\(banner)")
        let servers = String(banner.dropFirst("bootstrap.servers=".count))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loan-desk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var keepLogs = false
        defer { if !keepLogs { try? FileManager.default.removeItem(atPath: root) } }

        // The three pods, each with its own state directory, instance id and HTTP port.
        var addresses: [String] = []
        func pod(_ topology: String, _ extra: [String] = []) throws -> LoanDeskProcess {
            let port = try freePort()
            addresses.append("127.0.0.1:\(port)")
            return try LoanDeskProcess(["run", topology, "--bootstrap-servers", servers, "--instance-id", "\(topology)-0",
                                        "--state-dir", "\(root)/\(topology)", "--http-port", "\(port)",
                                        "--advertised-address", "127.0.0.1:\(port)", "--broker-transactions", "unfiltered",
                                        "--kafka-property", "session.timeout.ms=6000"] + extra,
                                       logFile: "\(root)/\(topology).log")
        }
        let pods = [try pod("loan", ["--bureau-latency", "20"]), try pod("trip-booking"), try pod("trip-booking-worker")]
        defer { for pod in pods { pod.terminate() } }
        for address in addresses {
            let ready = await waitUntilReady(address)
            if !ready { keepLogs = true }
            try #require(ready, "the pod at \(address) becomes ready; logs in \(root)")
        }

        // Loans: 12 that pass the lending policy, 2 with a poor score, 2 asking too much.
        let passing = (0..<12).map { String(format: "loan-%02d", $0) }
        let poorCredit = ["loan-poor-0", "loan-poor-1"]
        let tooLarge = ["loan-large-0", "loan-large-1"]
        var applications = passing.enumerated().map { index, id in
            LoanApplication(id: id, applicantId: "applicant-\(index % 5)", amountRequested: 10_000 + index * 1_000, annualIncome: 50_000)
        }
        applications += poorCredit.map { LoanApplication(id: $0, applicantId: "poor-credit-\($0)", amountRequested: 5_000, annualIncome: 40_000) }
        applications += tooLarge.map { LoanApplication(id: $0, applicantId: "big-\($0)", amountRequested: 900_000, annualIncome: 40_000) }
        let serde = JSONSerde<LoanApplication>()
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [servers]))
        for application in applications {
            try producer.produce(KafkaProducerRecord(topic: "loan.submitted", key: Array(application.applicantId.utf8),
                                                     value: try serde.serialize(application)))
        }
        try await producer.flush()
        try await producer.close()

        let reader = try TopicReader(servers: servers, topics: ["loan.underwriting", "loan.declined", "loan.disbursed", "loan.rejections"])
        defer { reader.close() }
        func seen(on topic: String) -> Set<String> {
            Set(reader.records.filter { $0.topic == topic }.compactMap { try? serde.deserialize($0.value ?? []).id })
        }
        let waiting = try await reader.waitUntil(timeout: .seconds(60)) {
            seen(on: "loan.underwriting").count == passing.count && seen(on: "loan.declined").count == 4
        }
        #expect(waiting, "underwriting: \(seen(on: "loan.underwriting").sorted()); declined: \(seen(on: "loan.declined").sorted())")
        #expect(seen(on: "loan.underwriting") == Set(passing))
        #expect(seen(on: "loan.declined") == Set(poorCredit + tooLarge), "the lending policy declines by rule")

        // An underwriter decides every loan seen in underwriting: the last one is declined.
        let approved = seen(on: "loan.underwriting").sorted().dropLast()
        let declinedByUnderwriter = try #require(seen(on: "loan.underwriting").sorted().last)
        for id in approved {
            let sent = try await LoanDeskProcess.run(["command", "loan", id, "approve", "--actor", "alice", "--bootstrap-servers", servers])
            #expect(sent.status == 0, "\(sent.errors)")
            #expect(sent.output == "sent approve for loan \(id) by alice\n")
        }
        let decline = try await LoanDeskProcess.run(["command", "loan", declinedByUnderwriter, "decline", "--actor", "bob",
                                                     "--argument", "reason=income not verified", "--bootstrap-servers", servers])
        #expect(decline.status == 0, "\(decline.errors)")
        // A command the machine does not have is refused by the CLI before anything is sent.
        let bogus = try await LoanDeskProcess.run(["command", "loan", approved[0], "disburse", "--actor", "mallory",
                                                   "--bootstrap-servers", servers])
        #expect(bogus.status != 0)
        #expect(bogus.errors.contains("loan has no command 'disburse'; its commands: approve, decline"), "\(bogus.errors)")

        let disbursed = try await reader.waitUntil(timeout: .seconds(60)) {
            seen(on: "loan.disbursed") == Set(approved) && seen(on: "loan.declined").contains(declinedByUnderwriter)
        }
        #expect(disbursed, "disbursed: \(seen(on: "loan.disbursed").count) of \(approved.count)")
        #expect(reader.records.filter { $0.topic == "loan.rejections" }.isEmpty, "no rejections")

        // `loan-desk show` reads each application and its history from the changelogs.
        for id in approved {
            var shown = ""
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                shown = try await LoanDeskProcess.run(["show", "loan", id, "--bootstrap-servers", servers]).output
                if shown.contains("status   disbursed") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(shown.contains("status   disbursed"), "\(id): \(shown)")
            let history = shown.split(separator: "\n").drop { $0 != "history" }.dropFirst()
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ") }
            #expect(history == ["submitted by external", "credit-checked by credit-bureau", "underwriting by lending-policy",
                                "approved by alice", "disbursed by payments"], "\(id): \(shown)")
        }
        let json = try await LoanDeskProcess.run(["show", "loan", declinedByUnderwriter, "--json", "--bootstrap-servers", servers])
        let declined = try JSONDecoder().decode(LoanApplication.self, from: Data(json.output.utf8))
        #expect(declined.status == .declined)
        #expect(declined.underwriter == "bob")
        #expect(declined.declineReason == "income not verified")

        // Trips through `loan-desk saga start`, checked with `loan-desk saga show`.
        let trips: [(id: String?, data: String, expected: SagaStatus, steps: [Int])] = [
            (nil, #"{"traveller": "ada", "destination": "Lisbon"}"#, .completed, [1, 2, 3]),
            ("trip-no-car", #"{"traveller": "bea", "car_unavailable": true}"#, .compensated, [1, 2, 3, -2, -1]),
            ("trip-full-hotel", #"{"traveller": "cy", "hotel_unavailable": true}"#, .compensated, [1, 2, -1]),
        ]
        var ids: [String] = []
        for trip in trips {
            let started = try await LoanDeskProcess.run(["saga", "start", "trip-booking", "--data", trip.data, "--bootstrap-servers", servers]
                                                        + (trip.id.map { ["--transaction-id", $0] } ?? []))
            #expect(started.status == 0, "\(started.errors)")
            let id = started.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if let expected = trip.id { #expect(id == expected) } else { #expect(!id.isEmpty) }
            ids.append(id)
        }
        for (trip, id) in zip(trips, ids) {
            var instance: SagaInstance?
            let deadline = ContinuousClock.now + .seconds(45)
            while ContinuousClock.now < deadline {
                let shown = try await LoanDeskProcess.run(["saga", "show", id, "--saga", "trip-booking", "--json", "--bootstrap-servers", servers])
                if shown.status == 0, let stored = try? JSONSerde<SagaInstance>().deserialize(Array(shown.output.utf8)) {
                    instance = stored
                    if stored.status.isTerminal { break }
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let final = try #require(instance, "saga \(id) was stored")
            #expect(final.status == trip.expected, "\(id)")
            #expect(final.history.filter { $0.event == "command-sent" }.compactMap(\.stepKey) == trip.steps,
                    "\(id): bookings, then cancellations in reverse")
        }
        let noCar = try await LoanDeskProcess.run(["saga", "show", "trip-no-car", "--bootstrap-servers", servers])
        #expect(noCar.output.contains("status       compensated") && noCar.output.contains("error        error_code=NO_CAR"),
                "\(noCar.output)")

        // All three at once, each within the 30 s bound of a graceful stop.
        let statuses = await withTaskGroup(of: (Int, Int32?).self) { group in
            for (index, pod) in pods.enumerated() {
                group.addTask { (index, await pod.stop(signal: SIGTERM, timeout: .seconds(30))) }
            }
            return await group.reduce(into: [Int: Int32?]()) { $0[$1.0] = $1.1 }
        }
        for (index, name) in ["loan", "trip-booking", "trip-booking-worker"].enumerated() {
            let status = statuses[index] ?? nil
            if status != 0 { keepLogs = true }
            #expect(status == 0, "\(name) stops cleanly; logs in \(root)")
        }
        _ = await broker.stop()
    }
}
