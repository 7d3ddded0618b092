import Flowstate
import PlaceOrder
import Saga
import StatementLifecycle
import WordCount

/// The topologies `flowstate run` and `flowstate describe` know by name.
enum TopologyCatalog {
    /// One Flowstate application of a pod: most topologies have one; a saga worker has one
    /// per listener.
    struct Unit: Sendable {
        let applicationID: String
        let topology: Topology
        /// Stream threads the unit asks for (a listener's concurrency), if any.
        let threads: Int?
    }

    /// Options of the topologies that have some (`flowstate run` flags).
    struct Options: Sendable, Hashable {
        /// The statement lifecycle's auto-approval limit.
        var autoApprovalLimit: Int?
        /// What every automatic statement step and place-order endpoint awaits first.
        var stepLatency: Duration = .zero
    }

    struct Entry: Sendable {
        let name: String
        let defaultApplicationID: String
        let summary: String
        /// The topics the topology reads and writes (for dev-broker and docs).
        let topics: [String]
        /// The units, with `applicationID` replacing the default one.
        let makeUnits: @Sendable (_ applicationID: String, _ options: Options) throws -> [Unit]
        /// A Mermaid state diagram of the state machine, if the topology is one.
        let stateDiagram: (@Sendable () throws -> String)?
    }

    static let entries: [Entry] = [
        Entry(name: "word-count", defaultApplicationID: "word-count", summary: "counts records per key",
              topics: [WordCount.inputTopic, WordCount.outputTopic],
              makeUnits: { id, _ in [Unit(applicationID: id, topology: try WordCount.topology(), threads: nil)] },
              stateDiagram: nil),
        Entry(name: "statement", defaultApplicationID: "statement", summary: "the statement lifecycle state machine",
              topics: (try? StatementLifecycle.machine().topics) ?? [],
              makeUnits: { id, options in
                  [Unit(applicationID: id, topology: try StatementLifecycle.topology(.init(autoApprovalLimit: options.autoApprovalLimit,
                                                                                           stepLatency: options.stepLatency)),
                        threads: nil)]
              },
              stateDiagram: { try StatementLifecycle.machine().mermaid() }),
        Entry(name: "place-order", defaultApplicationID: PlaceOrder.sagaName, summary: "the place-order saga orchestrator",
              topics: (try? PlaceOrder.orchestrator().topics) ?? [],
              makeUnits: { id, _ in [Unit(applicationID: id, topology: try PlaceOrder.orchestrator().topology(), threads: nil)] },
              stateDiagram: { try PlaceOrder.definition().mermaid() }),
        Entry(name: "place-order-worker", defaultApplicationID: PlaceOrder.workerName, summary: "the place-order saga's worker endpoints",
              topics: (try? PlaceOrder.worker().listeners().flatMap(\.topics)) ?? [],
              makeUnits: { id, options in
                  var sagaOptions = PlaceOrder.Options()
                  sagaOptions.stepLatency = options.stepLatency
                  return try PlaceOrder.worker(sagaOptions).listeners().map { listener in
                      Unit(applicationID: id + listener.applicationID.dropFirst(PlaceOrder.workerName.count),
                           topology: listener.topology, threads: listener.threads)
                  }
              },
              stateDiagram: nil),
    ]

    static var names: [String] { entries.map(\.name) }

    static func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
