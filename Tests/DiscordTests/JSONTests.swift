import JSON
import Testing
@testable import Discord

@Suite struct JSONTests {
    @Test func documentedPayloadsParse() throws {
        let ready = try GatewayPayload.parse(Array(#"{"op":0,"s":1,"t":"READY","d":{"v":10,"user":{"id":"80351110224678912","username":"Nelly","bot":true},"guilds":[{"id":"41771983423143936","unavailable":true}],"session_id":"abc","resume_gateway_url":"wss://gateway-us-east1-b.discord.gg","application":{"id":"1","flags":0}}}"#.utf8))
        #expect(ready.op == .dispatch && ready.t == "READY" && ready.s == 1)
        #expect(ready.d["resume_gateway_url"]?.string == "wss://gateway-us-east1-b.discord.gg")
        #expect(ready.d["guilds"]?[0]?["unavailable"]?.bool == true)
        let hello = try GatewayPayload.parse(Array(#"{"op":10,"d":{"heartbeat_interval":45000},"s":null,"t":null}"#.utf8))
        #expect(hello.op == .hello && hello.d["heartbeat_interval"]?.int == 45000 && hello.s == nil)
    }

    @Test func anObjectThatNamesAKeyTwiceIsRefused() throws {
        #expect(throws: JSONError.self) { try JSON.parse(#"{"name":"a","name":"b"}"#) }
        #expect(throws: JSONError.self) { try JSON.parse(#"{"x":{"k":1,"k":1}}"#) }
        #expect(try JSON.parse(#"{"k":1,"o":{"k":2}}"#)["o"]?["k"]?.int == 2)
    }

    @Test func stringsEscapesAndNumbersRoundTrip() throws {
        let text = #"{"a":"line\nbreak \"q\" \u00e9 \ud83d\ude00","b":[1,-2.5,3e2,true,false,null],"c":{}}"#
        let v = try JSON.parse(text)
        #expect(v["a"]?.string == "line\nbreak \"q\" é 😀")
        #expect(v["b"]?.array == [1, -2.5, 300, true, false, nil])
        #expect(try JSON.parse(v.serialized()) == v)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "tru", "[1] x", "\"\u{1}\"", "\"\\ud800\""])
    func malformedJSONIsRejected(text: String) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
    }

    /// A log page copies stored options when they are already what `serialized()` writes: the check may
    /// say yes only where parsing and writing again gives the same bytes, and says yes to botvisor's own.
    @Test func theSerializedFormIsRecognisedOnlyWhereWritingAgainGivesTheSameBytes() {
        let recognised = [#"{"item":"sprocket 12","quantity":3}"#, "{}", "[]", "0", "-5", "123456789012345", "true", "null", "false",
                          #""é 🎉""#, #"{"a":[1,{"k":"v"},null,true]}"#, #"{"A":1,"a":2}"#, #"{"a":1,"ab":2}"#, #"{"x":"a/b"}"#]
        let refused = ["1234567890123456", "-0", "01", "1.5", "1e3", #"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, #"{ "a":1}"#, #"{"a":"x\"y"}"#,
                       #"{"é":1}"#, "\"tab\there\"", "{\"a\":1}x", "[1,]", "", "tru", #"{"a":"#, "-",
                       String(repeating: "[", count: 40) + String(repeating: "]", count: 40)]
        for text in recognised {
            #expect(JSON.isSerializedForm(text), "\(text)")
            #expect((try? JSON.parse(text))?.serialized() == text, "\(text)")
        }
        for text in refused { #expect(!JSON.isSerializedForm(text), "\(text)") }
        // Whatever it accepts writes back unchanged: random short texts over JSON's punctuation.
        var random = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]",:-019aé\ "#)
        var accepted = 0
        for _ in 0..<20_000 {
            let text = String((0..<Int.random(in: 1...10, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            guard JSON.isSerializedForm(text) else { continue }
            accepted += 1
            #expect((try? JSON.parse(text))?.serialized() == text, "\(text)")
        }
        #expect(accepted > 0)
    }

    @Test func badGatewayPayloadsAreTypedErrors() {
        #expect(throws: GatewayPayloadError.notAnObject) { try GatewayPayload.parse(Array("[1]".utf8)) }
        #expect(throws: GatewayPayloadError.missingOpcode) { try GatewayPayload.parse(Array("{\"d\":1}".utf8)) }
    }

    @Test func stringsAreDecodedAsUTF8AndInvalidBytesRejected() throws {
        #expect(try JSON.parse(Array(#"["plain","café 🤖","a\"b"]"#.utf8))
                == .array([.string("plain"), .string("café 🤖"), .string("a\"b")]))
        // An unescaped string with a byte that is not UTF-8, alone and after an escape.
        #expect(throws: JSONError.self) { try JSON.parse([0x22, 0x61, 0xFF, 0x22]) }
        #expect(throws: JSONError.self) { try JSON.parse([0x22, 0x5C, 0x6E, 0xC3, 0x22]) }
    }
}
