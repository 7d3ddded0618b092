/// How a node of a built topology is made for each task. Internal: users see nodes only
/// through ``TopologyDescription``.
struct NodeSpec: Sendable {
    enum Kind: Sendable, Equatable {
        case source(topics: [String])
        case processor
        case sink(topic: String)
    }

    let name: String
    let kind: Kind
    var parents: [String]
    let stores: [String]
    /// Type names, for descriptions and error messages: (input key, input value) → (output key, output value).
    let inputTypes: (key: String, value: String)?
    let outputTypes: (key: String, value: String)?
    /// Creates the node's runtime object for a task.
    let make: @Sendable (TaskContext) -> any RuntimeNode
}

/// Formats a type name for messages and diagrams.
func typeName(_ type: Any.Type) -> String {
    String(describing: type)
}
