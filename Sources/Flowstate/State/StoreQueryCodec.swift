import Foundation

/// Converts an interactive query's text key into a store's key bytes, and a stored value into
/// JSON, with the store's own serdes.
///
/// Keys: a `String` key is used as is; other `LosslessStringConvertible` keys (`Int`, …) are
/// parsed from the text; other `Decodable` keys are read as JSON. Values: decoded with the
/// value serde, then encoded as JSON when `Encodable` (otherwise their description as a JSON
/// string).
struct StoreQueryCodec: Sendable {
    let encodeKey: @Sendable (String) throws(FlowstateError) -> [UInt8]
    let valueJSON: @Sendable ([UInt8]) throws(FlowstateError) -> [UInt8]
    /// A stored key as query text: a `String` as is, a `LosslessStringConvertible` key by its
    /// description, another `Encodable` key as JSON.
    let keyText: @Sendable ([UInt8]) throws(FlowstateError) -> String

    /// For definitions made without serdes (none today): every query fails with a clear message.
    static let unavailable = StoreQueryCodec(
        encodeKey: { _ throws(FlowstateError) in throw FlowstateError(.configuration, "store cannot be queried") },
        valueJSON: { _ throws(FlowstateError) in throw FlowstateError(.configuration, "store cannot be queried") },
        keyText: { _ throws(FlowstateError) in throw FlowstateError(.configuration, "store cannot be queried") })

    init(encodeKey: @escaping @Sendable (String) throws(FlowstateError) -> [UInt8],
         valueJSON: @escaping @Sendable ([UInt8]) throws(FlowstateError) -> [UInt8],
         keyText: @escaping @Sendable ([UInt8]) throws(FlowstateError) -> String) {
        self.encodeKey = encodeKey
        self.valueJSON = valueJSON
        self.keyText = keyText
    }

    init<K, V>(keySerde: any Serde<K>, valueSerde: any Serde<V>) {
        encodeKey = { text throws(FlowstateError) in
            guard let key = Self.parse(text, as: K.self) else {
                throw FlowstateError(.serialization, "'\(text)' is not a valid \(K.self) key")
            }
            return try keySerde.serialize(key)
        }
        keyText = { bytes throws(FlowstateError) in
            let key = try keySerde.deserialize(bytes)
            if let text = key as? String { return text }
            if let convertible = key as? any LosslessStringConvertible { return convertible.description }
            if let encodable = key as? any Encodable, let json = try? JSONEncoder().encode(encodable) {
                return String(decoding: json, as: UTF8.self)
            }
            return "\(key)"
        }
        valueJSON = { bytes throws(FlowstateError) in
            let value = try valueSerde.deserialize(bytes)
            do {
                if let encodable = value as? any Encodable { return Array(try JSONEncoder().encode(encodable)) }
                return Array(try JSONEncoder().encode("\(value)"))
            } catch {
                throw FlowstateError(.serialization, "cannot encode \(V.self) as JSON: \(error)")
            }
        }
    }

    private static func parse<K>(_ text: String, as type: K.Type) -> K? {
        if let key = text as? K { return key }
        if let convertible = K.self as? any LosslessStringConvertible.Type, let key = convertible.init(text) as? K {
            return key
        }
        if let decodable = K.self as? any Decodable.Type {
            return (try? JSONDecoder().decode(decodable, from: Data(text.utf8))) as? K
        }
        return nil
    }
}
