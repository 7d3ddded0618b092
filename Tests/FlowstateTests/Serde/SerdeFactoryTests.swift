import Testing

import Flowstate

@Suite struct SerdeFactoryTests {
    private func roundTrip<S: Serde>(_ serde: S, _ value: S.Value) throws -> S.Value {
        try serde.deserialize(serde.serialize(value))
    }

    private func describe<V>(_ serde: some Serde<V>) -> String {
        "\(type(of: serde))"
    }

    @Test func staticMembersResolveAtGenericCallSites() throws {
        #expect(try roundTrip(.string, "key") == "key")
        let bytes: [UInt8] = [1, 2]
        #expect(try roundTrip(.bytes, bytes) == bytes)
        #expect(try roundTrip(.json(Order.self), Order.sample) == Order.sample)
        #expect(try roundTrip(.binary(Order.self), Order.sample) == Order.sample)
    }

    @Test func staticMembersResolveForSomeSerdeParameters() {
        #expect(describe(.string) == "StringSerde")
        #expect(describe(.bytes) == "BytesSerde")
        #expect(describe(.json(Order.self)) == "JSONSerde<Order>")
        #expect(describe(.binary(AccountV1.self)) == "BinarySerde<AccountV1>")
    }

    @Test func anySerdeForwardsToTheWrappedSerde() throws {
        let erased = AnySerde(.binary(Order.self))
        #expect(try erased.serialize(Order.sample) == BinarySerde<Order>().serialize(Order.sample))
        #expect(try erased.deserialize(erased.serialize(Order.sample)) == Order.sample)

        let rewrapped = AnySerde(erased)
        #expect(try rewrapped.deserialize(rewrapped.serialize(Order.sample)) == Order.sample)

        let error = #expect(throws: FlowstateError.self) { try erased.deserialize([0xFF]) }
        #expect(error?.code == .deserialization)
    }

    @Test func anySerdeFromClosures() throws {
        let counter = AnySerde<Int>(
            serialize: { value throws(FlowstateError) in Array(String(value).utf8) },
            deserialize: { bytes throws(FlowstateError) in
                guard let text = String(validating: bytes, as: UTF8.self), let value = Int(text) else {
                    throw FlowstateError(.deserialization, "not a number")
                }
                return value
            })
        #expect(try counter.deserialize(counter.serialize(-17)) == -17)
        #expect(throws: FlowstateError.self) { try counter.deserialize(Array("x".utf8)) }
    }

    @Test func existentialSerdesWork() throws {
        let serdes: [any Serde<Order>] = [JSONSerde<Order>(), BinarySerde<Order>(), AnySerde(.json(Order.self))]
        for serde in serdes {
            #expect(try serde.deserialize(serde.serialize(Order.sample)) == Order.sample)
        }
    }
}
