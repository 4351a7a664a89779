@testable import JSON
import Testing
@testable import Discord

/// The gateway's lazy parse (issue 16): `LazyJSON.parse` must accept exactly what `JSON.parse` accepts, with
/// the same errors, and what it reads must be what a full parse holds.
@Suite struct LazyJSONTests {
    static let message = #"{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"id":"1","channel_id":"7001","content":"!help me","author":{"id":"5001","username":"u","bot":false},"mentions":[],"embeds":[{"title":"x","fields":[1,2.5,-3e2]}],"tts":false,"nonce":null}}"#

    @Test func membersAreReadWithoutParsingTheRestAndMatchAFullParse() throws {
        let lazy = try LazyJSON.parse(Array(Self.message.utf8))
        let full = try JSON.parse(Self.message)
        #expect(lazy.value == full)
        #expect(lazy["t"]?.string == "MESSAGE_CREATE" && lazy["s"]?.int == 42 && lazy["op"]?.int == 0)
        let d = try #require(lazy["d"])
        #expect(d["content"]?.string == "!help me")
        #expect(d["author"]?["bot"]?.bool == false && d["author"]?["id"]?.string == "5001")
        #expect(d["nonce"]?.isNull == true && d["tts"]?.isNull == false)
        #expect(d["missing"] == nil && d["content"]?["x"] == nil && d["mentions"]?.members?.isEmpty == nil)
        #expect(d["embeds"]?.value == full["d"]?["embeds"])
        #expect(d["id"]?.int == nil && d["content"]?.bool == nil && d["author"]?.string == nil)
        #expect(d.members?.map(\.key) == ["id", "channel_id", "content", "author", "mentions", "embeds", "tts", "nonce"])
        #expect(d == LazyJSON(full["d"]!))
    }

    @Test func whitespaceAnywhereIsReadAsAFullParseReadsIt() throws {
        let text = " {\n\t\"a\" : [ 1 , { \"b\" : \"c\" } ] ,\r\n \"d\" :true , \"e\":{ } } "
        let lazy = try LazyJSON.parse(Array(text.utf8))
        #expect(lazy.value == (try JSON.parse(text)))
        #expect(lazy["a"]?.value == [1, ["b": "c"]] && lazy["d"]?.bool == true && lazy["e"]?.members?.isEmpty == true)
    }

    @Test(arguments: [#"{"a":1,"a":2}"#, #"{"x":{"k":1,"k":[]}}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{1}\"}", #"{"a":01}"#, #"{"a":[1,]}"#,
                      #"{"a":"\ud800"}"#, #"{"a":tru}"#, #"{"a":1} x"#, #"{"a""#, "", "[", #"{"a":-}"#, #"{"a":1.}"#])
    func malformedTextIsRefusedWithTheFullParsersError(text: String) {
        let lazyError = #expect(throws: JSONError.self) { try LazyJSON.parse(Array(text.utf8)) }
        let fullError = #expect(throws: JSONError.self) { try JSON.parse(text) }
        #expect(lazyError == fullError)
    }

    @Test func keysThatOnlyUnicodeCallEqualAreLeftToTheFullParser() throws {
        // "é" precomposed and decomposed are one String key: the full parser refuses the pair, and so must this.
        #expect(throws: JSONError.self) { try LazyJSON.parse(Array("{\"\u{E9}\":1,\"e\u{301}\":2}".utf8)) }
        #expect(throws: JSONError.self) { try LazyJSON.parse(Array(#"{"a":1,"\u0061":2}"#.utf8)) }
        let escaped = try LazyJSON.parse(Array(#"{"a\"b":1,"é":{"x":"y"}}"#.utf8))
        #expect(escaped["a\"b"]?.int == 1 && escaped["é"]?["x"]?.string == "y")
    }

    @Test func nestingIsLimitedWhereTheFullParserLimitsIt() {
        for depth in [126, 127, 128, 129] {
            for text in [String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
                         String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)] {
                let full = Result { () throws(JSONError) in try JSON.parse(text) }
                let lazy = Result { () throws(JSONError) in try LazyJSON.parse(Array(text.utf8)) }
                switch (full, lazy) {
                case (.success(let f), .success(let l)): #expect(f == l.value)
                case (.failure(let f), .failure(let l)): #expect(f == l)
                default: Issue.record("disagree at depth \(depth)")
                }
            }
        }
        #expect((try? JSON.parse(String(repeating: "[", count: 129) + String(repeating: "]", count: 129))) == nil)
    }

    /// The word-at-a-time string scans: every byte value at every position of a word.
    @Test func theWordScansFindEveryByteTheyLookFor() throws {
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let special = value == 0x22 || value == 0x5C || value < 0x20 || value >= 0x80
                #expect(JSON.Parser.hasSpecialByte(word) == special)
                #expect(JSON.Parser.hasQuoteOrBackslash(word) == (value == 0x22 || value == 0x5C))
            }
        }
        let long = #"{"a":"0123456789abcdefghij\"quoted\" and \\ more text here","b":"x"}"#
        #expect(try LazyJSON.parse(Array(long.utf8))["b"]?.string == "x")
        #expect(try LazyJSON.parse(Array(long.utf8))["a"]?.string == (try JSON.parse(long))["a"]?.string)
    }

    @Test func longKeysThatShareTheirFirstBytesAreToldApartAndRepeatsRefused() throws {
        let distinct = try LazyJSON.parse(Array(#"{"channel_id_1":1,"channel_id_2":2,"channel_id":3}"#.utf8))
        #expect(distinct["channel_id_2"]?.int == 2 && distinct["channel_id"]?.int == 3)
        #expect(throws: JSONError.self) { try LazyJSON.parse(Array(#"{"channel_id_1":1,"x":{},"channel_id_1":2}"#.utf8)) }
        // The same key in different objects is no repeat.
        #expect(try LazyJSON.parse(Array(#"{"long_key_name":{"long_key_name":1},"b":{"long_key_name":2}}"#.utf8))["b"]?["long_key_name"]?.int == 2)
    }

    @Test func stringsAreCheckedAsUTF8() throws {
        #expect(try LazyJSON.parse(Array(#"{"a":"café 🤖 ✓"}"#.utf8))["a"]?.string == "café 🤖 ✓")
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC3]] {
            let text: [UInt8] = Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(throws: JSONError.self) { try LazyJSON.parse(text) }
        }
    }

    /// Differential fuzzing: random texts over JSON's alphabet, and mutations of a real dispatch; the lazy
    /// check must agree with the full parser on every one, and read the same value.
    @Test func theLazyCheckAgreesWithTheFullParserOnRandomText() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array(#"{}[]",:-0129.eE+a\ tnulrfsé"#.utf8) + [0xFF, 0x01, 0x0A]
        let seed = Array(Self.message.utf8)
        var agreedValid = 0
        for round in 0..<30_000 {
            var text: [UInt8]
            if round % 2 == 0 {
                text = (0..<Int.random(in: 1...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            } else {
                text = seed
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let at = Int.random(in: 0..<text.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: text[at] = alphabet.randomElement(using: &random)!
                    case 1: text.remove(at: at)
                    default: text.insert(alphabet.randomElement(using: &random)!, at: at)
                    }
                }
            }
            let full = Result { () throws(JSONError) in try JSON.parse(text) }
            let lazy = Result { () throws(JSONError) in try LazyJSON.parse(text) }
            switch (full, Result { () throws(JSONError) in try LazyJSON.parseObject(text) }) {
            case (.success(let f), .success(let members)):
                #expect(members?.count == f.object?.count && members?.allSatisfy { f[$0.key] == $0.value.value } != false)
            case (.failure(let f), .failure(let o)):
                #expect(f == o)
            default:
                Issue.record("parseObject disagrees on \(String(decoding: text, as: UTF8.self))")
            }
            switch (full, lazy) {
            case (.success(let f), .success(let l)):
                agreedValid += 1
                #expect(l.value == f, "\(String(decoding: text, as: UTF8.self))")
            case (.failure(let f), .failure(let l)):
                #expect(f == l, "\(String(decoding: text, as: UTF8.self))")
            default:
                Issue.record("disagree on \(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(agreedValid > 100)
    }

    @Test func aDispatchIsParsedLazilyAndStillEqualToItsFullForm() throws {
        let payload = try GatewayPayload.parse(Array(Self.message.utf8))
        #expect(payload.op == .dispatch && payload.s == 42 && payload.t == "MESSAGE_CREATE")
        #expect(payload.data["content"]?.string == "!help me")
        let full = try JSON.parse(Self.message)
        #expect(payload == GatewayPayload(op: .dispatch, d: full["d"]!, s: 42, t: "MESSAGE_CREATE"))
        #expect(payload.d == full["d"])
        // Written back as the envelope always was: sorted keys, compact.
        #expect(payload.serialized() == JSON.object(["op": 0, "s": 42, "t": "MESSAGE_CREATE", "d": full["d"]!]).serialized())
        #expect(GatewayPayload(op: .heartbeat).serialized() == #"{"d":null,"op":1,"s":null,"t":null}"#)
        // Non-integer op or s, a t that is no string: as `JSON.int` and `JSON.string` read them.
        #expect(throws: GatewayPayloadError.missingOpcode) { try GatewayPayload.parse(Array(#"{"op":1.5,"d":{}}"#.utf8)) }
        let odd = try GatewayPayload.parse(Array(#"{"op":0,"s":"7","t":3}"#.utf8))
        #expect(odd.s == nil && odd.t == nil && odd.d == .null)
        #expect(throws: GatewayPayloadError.self) { try GatewayPayload.parse(Array(#"{"op":0,"op":0}"#.utf8)) }
    }

    @Test func theWriterWritesNumbersAsBefore() throws {
        let values: [Double] = [0, -0.0, 1, -1, 42, 1e15, -8_999_999_999_999_999, 9e15, 1.5, -2.25, 1e300, 123_456_789_012]
        let written = JSON.array(values.map(JSON.number)).serialized()
        #expect(written == "[0,0,1,-1,42,1000000000000000,-8999999999999999,9000000000000000.0,1.5,-2.25,1e+300,123456789012]")
        #expect(JSON.object(["b": 1, "a": ["c": "\"q\"\n", "é": nil], "": true]).serialized() == #"{"":true,"a":{"c":"\"q\"\n","é":null},"b":1}"#)
        #expect(JSON.object(["k": 1, "k2": 2]) == ["k": 1, "k2": 2] as JSON)
    }
}
