/// A topology that cannot run: reported by ``TopologyBuilder/build()`` or at start-up.
public struct TopologyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of a ``TopologyError``; new kinds may be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case emptyTopology, duplicateName, unknownNode, unknownStore, typeMismatch
            case notCoPartitioned, invalidName, storeNotConnected, invalidSuspension
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The topology has no source.
        public static let emptyTopology = Code(.emptyTopology)
        /// Two nodes or two stores share a name.
        public static let duplicateName = Code(.duplicateName)
        /// A parent or child names a node that does not exist (or cannot have children).
        public static let unknownNode = Code(.unknownNode)
        /// A processor names a store that was not added.
        public static let unknownStore = Code(.unknownStore)
        /// A child's input types differ from its parent's output types, or a store is read with other types.
        public static let typeMismatch = Code(.typeMismatch)
        /// Source topics of one sub-topology have different partition counts.
        public static let notCoPartitioned = Code(.notCoPartitioned)
        /// A name is empty or contains characters Kafka topic names cannot hold.
        public static let invalidName = Code(.invalidName)
        /// A processor used a store it did not declare.
        public static let storeNotConnected = Code(.storeNotConnected)
        /// A processor ordered or suspended a record where it cannot (``ProcessorContext/suspend(_:timeout:_:then:)``).
        public static let invalidSuspension = Code(.invalidSuspension)

        /// The code's name.
        public var description: String { kind.rawValue }
    }

    /// What is wrong.
    public let code: Code
    /// A message naming the nodes, stores or topics involved.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `TopologyError.code: message`.
    public var description: String { "TopologyError.\(code): \(message)" }
}
