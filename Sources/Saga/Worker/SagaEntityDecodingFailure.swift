/// A saga entity that does not decode into the `Codable` type an endpoint or hook reads it as:
/// a permanent failure, reported with the type and the field (the decoding error's coding path).
struct SagaEntityDecodingFailure: Error, Sendable, CustomStringConvertible {
    /// The type's name, e.g. `Order`.
    let typeName: String
    /// The field at fault as a JSON path (`total_amount`, `items[0].sku`), or `<root>`.
    let field: String
    /// What is wrong with it.
    let problem: String

    init(type: Any.Type, error: any Error) {
        typeName = String(describing: type)
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            field = Self.path(context.codingPath + [key])
            problem = "is missing"
        case .valueNotFound(let expected, let context)?:
            field = Self.path(context.codingPath)
            problem = "is null, expected \(expected)"
        case .typeMismatch(let expected, let context)?:
            field = Self.path(context.codingPath)
            problem = "is not of type \(expected) (\(context.debugDescription))"
        case .dataCorrupted(let context)?:
            field = Self.path(context.codingPath)
            problem = "is not valid: \(context.debugDescription)"
        default:
            field = "<root>"
            problem = "cannot be read: \(error)"
        }
    }

    /// `the entity does not decode as Order: field total_amount is missing`.
    var description: String { "the entity does not decode as \(typeName): field \(field) \(problem)" }

    /// The failure as a non-retryable endpoint error; its context names the type and the field
    /// (`error_code` `ENTITY_NOT_DECODABLE`, `entity_type`, `field`) for the compensation steps.
    var endpointError: SagaEndpointError {
        .nonRetryable(description, context: ["error_code": "ENTITY_NOT_DECODABLE", "entity_type": typeName, "field": field])
    }

    /// A coding path as `items[0].sku`, or `<root>` when empty.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "\(index)" || key.stringValue.hasPrefix("Index ") {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text.isEmpty ? "<root>" : text
    }
}
