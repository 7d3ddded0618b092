import Flowstate

/// The history store's serde: ``BinarySerde`` bytes of `[LifecycleEvent]` (so every reader
/// decodes them with `BinarySerde<[LifecycleEvent]>`), encoded by code specialized for the
/// concrete array rather than through the generic direct encoding.
struct LifecycleHistorySerde: Serde {
    private let decoding = BinarySerde<[LifecycleEvent]>()

    func serialize(_ history: [LifecycleEvent]) throws(FlowstateError) -> [UInt8] {
        var writer = BinaryWriter()
        writer.elements(history)
        return writer.bytes
    }

    func deserialize(_ bytes: [UInt8]) throws(FlowstateError) -> [LifecycleEvent] {
        try decoding.deserialize(bytes)
    }
}
