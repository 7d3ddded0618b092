/// The topic naming rules of sagas and state machines (StackSaga's): `.` separates segments,
/// hyphens are allowed inside a segment, underscores nowhere.
public enum TopicNames {
    /// Checks a topic name or suffix (`payment-service.make-payment`).
    ///
    /// - Parameter what: What the name is, for the message (`"topic suffix"`).
    /// - Throws: ``SagaDefinitionError`` naming the rule broken.
    public static func validate(_ name: String, what: String) throws(SagaDefinitionError) {
        guard !name.isEmpty else { throw SagaDefinitionError("\(what) is empty") }
        if name.contains("_") {
            throw SagaDefinitionError("\(what) \"\(name)\" contains an underscore; use hyphens inside a segment and dots between segments")
        }
        guard name.count <= 200 else { throw SagaDefinitionError("\(what) \"\(name)\" is longer than 200 characters") }
        for segment in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !segment.isEmpty else {
                throw SagaDefinitionError("\(what) \"\(name)\" has an empty segment; separate segments with a single dot")
            }
            guard segment.first != "-", segment.last != "-" else {
                throw SagaDefinitionError("\(what) \"\(name)\": segment \"\(segment)\" starts or ends with a hyphen; hyphens go inside a segment, dots between segments")
            }
            for character in segment where !(character.isASCII && (character.isLetter || character.isNumber || character == "-")) {
                throw SagaDefinitionError("\(what) \"\(name)\" contains \"\(character)\"; allowed are letters, digits, hyphens inside segments and dots between them")
            }
        }
    }
}

/// A saga or state-machine definition that breaks a rule; the message says which.
public struct SagaDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    /// Creates an error with its message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
