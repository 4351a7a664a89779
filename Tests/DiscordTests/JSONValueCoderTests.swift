import Testing
import JSON

/// The project's own Codable coders over `JSON` (IPC, command records, HTTP bodies): round trips, and every
/// value they cannot carry exactly is an error, not a rounded number.
@Suite struct JSONValueCoderTests {
    enum Kind: String, Codable { case a, b }
    struct Inner: Codable, Equatable { var n: Int; var tags: [String] }
    struct Sample: Codable, Equatable {
        var name: String
        var count: UInt64
        var ratio: Double
        var kind: Kind
        var missing: String?
        var present: Int?
        var inner: [Inner]
        var map: [String: Int]
        var raw: JSON
    }

    let sample = Sample(name: "a/\"b\"\n", count: 8_999_999_999_999_999, ratio: 0.1, kind: .b, missing: nil, present: 3,
                        inner: [Inner(n: -1, tags: ["x"]), Inner(n: 2, tags: [])], map: ["k": 1], raw: ["o": [1, "s", nil]])

    @Test func aValueRoundTripsAndItsTextHasSortedKeysAndNoNilFields() throws {
        let bytes = try JSONValueEncoder().encodeBytes(sample)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"count":8999999999999999,"inner":[{"n":-1,"tags":["x"]},{"n":2,"tags":[]}],"kind":"b","map":{"k":1},"name":"a/\"b\"\n","present":3,"#))
        #expect(!text.contains("missing"))
        #expect(try JSONValueDecoder().decode(Sample.self, from: bytes) == sample)
    }

    @Test func numbersAJSONDoubleCannotHoldExactlyAreErrors() {
        struct Big: Encodable { var n: UInt64 }
        struct Bad: Encodable { var d: Double }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(Big(n: 9_000_000_000_000_000)) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(Bad(d: .nan)) }
        struct Small: Decodable { var n: UInt8 }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Small.self, from: Array(#"{"n":256}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Small.self, from: Array(#"{"n":1.5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Small.self, from: Array(#"{"n":-1}"#.utf8)) }
    }

    @Test func errorsNameThePathAndDuplicateKeysAreNotJSON() throws {
        do {
            _ = try JSONValueDecoder().decode(Sample.self, from: Array(#"{"name":"x"}"#.utf8))
            Issue.record("decoded without its fields")
        } catch DecodingError.keyNotFound(let key, _) {
            #expect(key.stringValue == "count")
        }
        let text = #"{"count":1,"inner":[{"n":"one","tags":[]}],"kind":"a","map":{},"name":"x","ratio":1,"raw":null}"#
        do {
            _ = try JSONValueDecoder().decode(Sample.self, from: Array(text.utf8))
            Issue.record("decoded a string as an Int")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["inner", "0", "n"])
        }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode([String: Int].self, from: Array(#"{"a":1,"a":2}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Kind.self, from: Array(#""c""#.utf8)) }
    }
}
