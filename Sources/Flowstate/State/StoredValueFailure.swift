/// Builds the error for a stored value (or key) that the store's serde cannot decode.
///
/// Such a value was typically written by an earlier version of its type that the current one
/// cannot read (a required field added, a field renamed or retyped, a status removed). Every
/// record touching the key would fail alike, so the error is not a per-record one: it stops the
/// stream thread (``FlowstateError/Code/undecodableStoredValue``) instead of dead-lettering input.
enum StoredValueFailure {
    /// The error for `key` of `store`, carrying the serde's message (type and coding path).
    static func error(store: String, key: String, _ error: FlowstateError) -> FlowstateError {
        FlowstateError(
            .undecodableStoredValue,
            "store '\(store)', key '\(key)': the stored value cannot be decoded: \(error.message). "
                + "It was probably written by an incompatible earlier version of the type: deploy that version "
                + "back, or migrate the store (see docs/upgrades.md)",
            underlying: error)
    }

    /// The key as text: a `String` as is, anything else as `String(describing:)`.
    static func printable<Key>(_ key: Key) -> String {
        if let string = key as? String { return string }
        return String(describing: key)
    }

    /// Bytes as lowercase hex, for a key that cannot be decoded either.
    static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
