import Flowstate
@testable import Saga
import Testing

@Suite struct SupportTests {
    @Test func jsonValuesRoundTripKeepingIntegersExact() throws {
        let value: JSONValue = ["amount": 9_007_199_254_740_993, "rate": 0.25, "name": "ä \"q\"", "ok": true, "none": nil,
                                "items": [1, "two", ["three": 3]]]
        let serde = JSONSerde<JSONValue>()
        #expect(try serde.deserialize(serde.serialize(value)) == value)
        #expect(value["amount"]?.intValue == 9_007_199_254_740_993)
        #expect(value["rate"]?.doubleValue == 0.25)
        #expect(value["items"]?.arrayValue?.count == 3)
    }

    @Test func jsonValuesPrintAsCompactJSONWithSortedKeysAndEscapes() {
        let value: JSONValue = ["b": [1, 2.5, nil], "a": "say \"hi\"\n", "c": false]
        #expect(value.description == #"{"a":"say \"hi\"\n","b":[1,2.5,null],"c":false}"#)
    }
}
