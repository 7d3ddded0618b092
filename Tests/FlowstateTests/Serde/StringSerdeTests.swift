import Testing

import Flowstate

@Suite struct StringSerdeTests {
    @Test func roundTripsUnicodeAsUTF8() throws {
        let serde = StringSerde()
        for text in ["", "plain", "Zoë Ångström", "日本語", "🚀👩‍👩‍👧", "a\u{0}b"] {
            let bytes = try serde.serialize(text)
            #expect(bytes == Array(text.utf8))
            #expect(try serde.deserialize(bytes) == text)
        }
    }

    @Test func invalidUTF8ThrowsDeserialization() {
        for bytes: [UInt8] in [[0xFF], [0xC3], [0x61, 0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            let error = #expect(throws: FlowstateError.self) { try StringSerde().deserialize(bytes) }
            #expect(error?.code == .deserialization)
            #expect(error?.message.contains("UTF-8") == true)
        }
    }

    @Test func prefixOfStringEncodesAsPrefixOfBytes() throws {
        let serde = StringSerde()
        let key = try serde.serialize("org-42/txn-7")
        let prefix = try serde.serialize("org-42/")
        #expect(key.starts(with: prefix))
    }
}

@Suite struct BytesSerdeTests {
    @Test func passesBytesThroughUnchanged() throws {
        let serde = BytesSerde()
        for bytes: [UInt8] in [[], [0], [0xFF, 0x00, 0x7F], Array(repeating: 0xAB, count: 1_000)] {
            #expect(try serde.serialize(bytes) == bytes)
            #expect(try serde.deserialize(bytes) == bytes)
        }
    }
}
