import Foundation

/// Reads one task's page of a store for an interactive query (on the stream thread, from
/// committed state): keys as query text, values as JSON, filtered by a top-level JSON field.
struct StorePageReader {
    let codec: StoreQueryCodec

    func read(_ query: StoreQueryMailbox.PageQuery, from store: TaskStore) throws(FlowstateError) -> StoreBytePage {
        let match = query.match
        return try store.basePage(lower: query.lower, upper: query.upper, after: query.after, limit: query.limit,
                                  budget: match == nil ? query.limit : query.budget) { key, value throws(FlowstateError) in
            let json = try codec.valueJSON(value)
            if let match, !Self.matches(json, match) { return nil }
            return StoreEntry(key: try codec.keyText(key), json: json)
        }
    }

    /// Whether `json` is an object whose field `match.field` is `match.value` (a string, or a
    /// number or bool spelled as text).
    static func matches(_ json: [UInt8], _ match: StoreValueMatch) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let field = object[match.field] else { return false }
        switch field {
        case let text as String: return text == match.value
        case let number as NSNumber: return number.stringValue == match.value
        default: return false
        }
    }
}
