import FlowstatePod
import Foundation
import LoanDesk

/// The `loan-desk` executable: the loan state machine, the trip-booking saga's orchestrator
/// and its worker, each runnable as a pod (`loan-desk run loan|trip-booking|trip-booking-worker`).
@main
enum LoanDeskPod {
    /// `--bureau-latency`: how long the simulated credit bureau takes to answer.
    static let bureauLatency = PodOption.milliseconds(
        "bureau-latency", environment: "LOAN_DESK_BUREAU_LATENCY_MS",
        help: "how long the simulated credit bureau takes to answer, in milliseconds; default 50")

    /// Registers the three topologies and runs the command line (`run`, `command`, `show`, …);
    /// exits 1 with the reason when a registration cannot be built.
    static func main() async {
        let registrations: [PodRegistration]
        do {
            registrations = [
                try .stateMachine(summary: "loan applications: credit check, lending policy, underwriting, payout",
                                  options: [bureauLatency]) { values in
                    try LoanDesk.machine(.init(bureau: SimulatedCreditBureau(latency: values.duration("bureau-latency") ?? .milliseconds(50))))
                },
                .sagaOrchestrator(try TripBooking.orchestrator(), summary: "the trip-booking saga's orchestrator"),
                try .sagaWorker(summary: "the trip-booking saga's endpoints: airline, hotel, car rental") { _ in
                    try TripBooking.worker()
                },
            ]
        } catch {
            FileHandle.standardError.write(Data("loan-desk: \(error)\n".utf8))
            exit(1)
        }
        await Pod(name: "loan-desk", abstract: "The loan desk's pods: loan applications and trip bookings on Kafka.",
                  registrations: registrations).main()
    }
}
