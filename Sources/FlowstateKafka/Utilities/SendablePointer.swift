/// An opaque C pointer that may cross threads because its owner guarantees exclusive use.
///
/// - Important: Only the owning type may use this; it documents why sharing is safe.
struct SendableOpaquePointer: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

extension String {
    /// Decodes a NUL-terminated C string held in a fixed-size buffer (e.g. librdkafka's `errstr`).
    init(cBuffer buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
