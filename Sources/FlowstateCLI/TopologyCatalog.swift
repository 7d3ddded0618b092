import Flowstate
import WordCount

/// The topologies `flowstate run` and `flowstate describe` know by name.
enum TopologyCatalog {
    struct Entry: Sendable {
        let name: String
        let defaultApplicationID: String
        let makeTopology: @Sendable () throws -> Topology
    }

    static let entries: [Entry] = [
        Entry(name: "word-count", defaultApplicationID: "word-count", makeTopology: WordCount.topology),
    ]

    static var names: [String] { entries.map(\.name) }

    static func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
