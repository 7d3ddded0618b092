import FlowstatePod
import Foundation

/// The `flowstate` executable: a pod of its own topologies (word count, the statement
/// lifecycle, the place-order saga and its worker) on the same entry point as a user's pod,
/// plus the demo, the simulation and the statement commands.
@main
enum FlowstateCommand {
    static func main() async {
        let registrations: [PodRegistration]
        do {
            registrations = try FlowstateRegistrations.all()
        } catch {
            FileHandle.standardError.write(Data("flowstate: \(error)\n".utf8))
            exit(1)
        }
        await Pod(name: "flowstate",
                  abstract: "Kafka-native stream processing for Swift: state machines and sagas with exactly-once state.",
                  registrations: registrations)
            .main(adding: [DemoCommand.self, SimulateCommand.self, StatementCommands.self])
    }
}
