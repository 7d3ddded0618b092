import ArgumentParser
import Flowstate

/// `<pod> describe <topology> [--format text|mermaid|dot|state-diagram]`.
struct DescribeCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "describe",
            abstract: "Print a topology's sub-topologies, nodes, stores and topics.",
            discussion: "Topologies: \(PodCatalog.names.joined(separator: ", ")). `state-diagram` draws a state machine "
                + "or a saga's steps and compensations as a Mermaid state diagram.")
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, mermaid, dot
        case stateDiagram = "state-diagram"
    }

    @Argument(help: "The topology.")
    var topology: String
    @Option(help: "text, mermaid, dot or state-diagram.")
    var format: Format = .text

    func run() throws {
        let entry = try PodCatalog.registration(named: topology)
        if format == .stateDiagram {
            guard let diagram = entry.stateDiagram else {
                throw ValidationError("\(topology) is neither a state machine nor a saga; use text, mermaid or dot")
            }
            print(try diagram(), terminator: "")
            return
        }
        let units = try entry.makeUnits(entry.defaultApplicationID, PodOptionValues())
        for unit in units {
            let description = unit.topology.describe(applicationID: unit.applicationID)
            // A pod of several applications (a saga worker's listeners) names each one.
            if units.count > 1 { print("# application \(unit.applicationID)") }
            switch format {
            case .text: print(description.text)
            case .mermaid: print(description.mermaid, terminator: "")
            case .dot: print(description.dot, terminator: "")
            case .stateDiagram: break
            }
        }
    }
}
