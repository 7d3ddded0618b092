public import ArgumentParser
import Synchronization

/// A pod executable: your topologies, run with everything `flowstate run` gives.
///
/// ```swift
/// @main struct LoansPod {
///     static func main() async throws {
///         await Pod(name: "loans", registrations: [
///             try .stateMachine(Loans.machine(), summary: "loan applications"),
///         ]).main()
///     }
/// }
/// ```
///
/// The executable then has the commands of ``commands``: `run <topology>` (every setting a
/// flag and an environment variable; HTTP health, readiness, metrics and interactive queries;
/// host discovery; graceful shutdown), `describe`, `create-topics`, `submit`, `command` and `show` for
/// state machines, `saga start|show`, and `dev-broker`.
public struct Pod: Sendable {
    /// The executable's name, for help.
    public let name: String
    /// One line for `--help`.
    public let abstract: String
    /// What the pod can run, by name.
    public let registrations: [PodRegistration]

    /// A pod of `registrations`.
    public init(name: String, abstract: String = "Flowstate pods: state machines, sagas and topologies on Kafka.",
                registrations: [PodRegistration]) {
        self.name = name
        self.abstract = abstract
        self.registrations = registrations
    }

    /// The commands every pod executable has.
    public static var commands: [any ParsableCommand.Type] {
        [RunCommand.self, DescribeCommand.self, CreateTopicsCommand.self, SubmitCommand.self, EntityCommand.self, ShowCommand.self,
         SagaCommands.self, DevBrokerCommand.self]
    }

    /// Parses the process's arguments and runs the command, then exits with its status.
    ///
    /// - Parameter extra: Commands of your own, beside ``commands``.
    public func main(adding extra: [any ParsableCommand.Type] = []) async {
        PodCatalog.install(executable: name, registrations: registrations)
        PodRootCommand.root.withLock { $0 = (name, abstract, extra) }
        await PodRootCommand.main()
    }
}

/// The executable's root command: ``Pod/commands`` and the pod's own.
struct PodRootCommand: AsyncParsableCommand {
    static let root = Mutex<(name: String, abstract: String, extra: [any ParsableCommand.Type])>(("flowstate", "", []))

    static var configuration: CommandConfiguration {
        let (name, abstract, extra) = root.withLock { $0 }
        return CommandConfiguration(commandName: name, abstract: abstract, subcommands: extra + Pod.commands)
    }
}
