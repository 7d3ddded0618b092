/// Human-readable text for `EncodingError`/`DecodingError`, shared by the Codable serdes.
enum CodingErrorText {
    /// Renders a coding path as `items[0].price`, or `<root>` when empty.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text.isEmpty ? "<root>" : text
    }

    /// Describes a decoding failure, naming the coding path where it happened.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as DecodingError:
            switch error {
            case .typeMismatch(let type, let context):
                return "type mismatch at \(path(context.codingPath)): expected \(type); \(context.debugDescription)"
            case .valueNotFound(let type, let context):
                return "missing value at \(path(context.codingPath)): expected \(type); \(context.debugDescription)"
            case .keyNotFound(let key, let context):
                return "missing key '\(key.stringValue)' at \(path(context.codingPath)); \(context.debugDescription)"
            case .dataCorrupted(let context):
                return "corrupted data at \(path(context.codingPath)): \(context.debugDescription)"
            @unknown default:
                return "\(error)"
            }
        case let error as EncodingError:
            switch error {
            case .invalidValue(let value, let context):
                return "invalid value \(value) at \(path(context.codingPath)): \(context.debugDescription)"
            @unknown default:
                return "\(error)"
            }
        default:
            return "\(error)"
        }
    }
}
