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

    @Test func badGatewayPayloadsAreTypedErrors() {
        #expect(throws: GatewayPayloadError.notAnObject) { try GatewayPayload.parse(Array("[1]".utf8)) }
        #expect(throws: GatewayPayloadError.missingOpcode) { try GatewayPayload.parse(Array("{\"d\":1}".utf8)) }
    }
}
