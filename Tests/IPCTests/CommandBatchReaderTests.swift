import Testing
@testable import IPC
import JSON

/// The `commands` fast path (`CommandBatchReader`) against the generic decoder it stands in for: the same
/// records for what both accept, and for everything else the generic decoder's own error.
@Suite struct CommandBatchReaderTests {
    static let records = [
        CommandRecord(id: "1234567890123456789", bot: "ingest0", guildID: "800000000000000017", channelID: "800000000000001020",
                      userID: "100000000000012345", command: "stock", options: #"{"item":"widget 12","quantity":4}"#,
                      startedAt: 1_764_850_000_123_456, durationMicros: 10_000_000, outcome: .timeout, errorCode: .timeout,
                      errorMessage: "handler did not answer within 10 s"),
        CommandRecord(id: "r2", bot: "ingest0", guildID: nil, channelID: nil, userID: "u", command: "héllo",
                      options: "tab\there \"quoted\" \\ \u{1F600} \u{7}", startedAt: -5, durationMicros: 0, outcome: .ok),
        CommandRecord(id: "", bot: "b", guildID: "", channelID: "c", userID: "", command: "", options: "{}", startedAt: 0,
                      durationMicros: 1, outcome: .rateLimited, errorCode: "SOMETHING_NEW", errorMessage: ""),
    ]

    /// What the generic path makes of `text`: the envelope's records and ids, or its error.
    static func generic(_ text: String) -> Result<Decoded, IPCError> {
        Result { () throws(IPCError) in Decoded(try IPCEnvelope.decodeWithCodable(Array(text.utf8))) }
    }

    static func decoded(_ text: String) -> Result<Decoded, IPCError> {
        Result { () throws(IPCError) in Decoded(try IPCEnvelope.decode(Array(text.utf8))) }
    }

    struct Decoded: Equatable {
        var id: UInt64?, replyTo: UInt64?, records: [CommandRecord]?
        init(_ envelope: IPCEnvelope) {
            id = envelope.id
            replyTo = envelope.replyTo
            if case .commands(let batch) = envelope.message { records = batch.records }
        }
    }

    @Test func theEncodersBatchIsReadByTheFastPathAsTheGenericDecoderReadsIt() throws {
        let envelope = IPCEnvelope(.commands(CommandBatch(records: Self.records)), id: 7)
        let text = String(decoding: try envelope.encoded().dropFirst(4), as: UTF8.self)
        #expect(text.hasPrefix(#"{"body":{"records":[{"#), "the encoder sorts keys: body comes before type")
        let fast = try #require(CommandBatchReader.envelope(Array(text.utf8)))
        #expect(Decoded(fast).records == Self.records)
        #expect(Decoded(fast).id == 7)
        #expect(Self.generic(text) == .success(Decoded(fast)))
    }

    @Test func typeFirstSpacesNullsAndMissingOptionalsAreRead() throws {
        let text = """
             { "type" : "commands" , "reply_to" : null, "id": 3, "body" : { "records" : [ { "id" : "a", "bot" : "b",
             "guild_id": null, "user_id": "u", "command": "c", "options": "{}", "started_at": 1.0e3,
             "duration_us": -0, "outcome": "error", "error_code": null } , {"id":"b","bot":"b","user_id":"u","command":"c",
             "options":"\\u00e9\\ud83d\\ude00\\/","started_at":12,"duration_us":3,"outcome":"expired","error_message":"m"} ] } }\t
            """
        let fast = try #require(CommandBatchReader.envelope(Array(text.utf8)))
        #expect(Decoded(fast).records?.map(\.options) == ["{}", "é\u{1F600}/"])
        #expect(Decoded(fast).records?.first?.startedAt == 1000)
        #expect(Self.generic(text) == .success(Decoded(fast)))
    }

    @Test func anEmptyBatchIsABatch() throws {
        let fast = try #require(CommandBatchReader.envelope(Array(#"{"body":{"records":[]},"type":"commands"}"#.utf8)))
        #expect(Decoded(fast).records == [])
    }

    /// Each of these is either malformed or unusual; the fast path declines it and `decode` reports exactly what
    /// the generic decoder reports (or decodes it as the generic decoder does).
    static let declined = [
        #"{"type":"heartbeat"}"#,
        #"{"body":{"bot":"alpha","pid":1,"version":1},"type":"hello"}"#,
        #"{"body":{"records":[]},"type":"ack"}"#,
        #"{"body":{"records":[]}}"#,
        #"{"type":"commands"}"#,
        #"{"type":"commands","body":{}}"#,
        #"{"type":"commands","body":{"records":[]},"extra":1}"#,
        #"{"type":"commands","type":"commands","body":{"records":[]}}"#,
        #"{"type":"commands","body":{"records":[],"records":[]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","id":"b","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1.5,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":"1","duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1e300,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"fine"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":1,"bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok","new_field":{"x":[1]}}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok","new":{"x":1,"x":2}}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":null,"user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"},]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1,"duration_us":1,"outcome":"ok"}]}} x"#,
        #"{"type":"commands","id":-1,"body":{"records":[]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"\u0001"}]}}"#,
        #"{"type":"commands","body":{"records":[{"id":"a\ud800"}]}}"#,
        #"{"type":"commands","body":{"records":{}}}"#,
        #"{"type":"commands","body":{"records":[1]}}"#,
        #"["type","commands"]"#,
        #"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":01,"duration_us":1,"outcome":"ok"}]}}"#,
        "",
        " ",
        "{",
        #"{"type":"commands","body":{"records":["#,
    ]

    @Test(arguments: declined) func aDeclinedPayloadGetsTheGenericResult(_ text: String) {
        #expect(CommandBatchReader.envelope(Array(text.utf8)) == nil)
        #expect(Self.decoded(text) == Self.generic(text))
    }

    @Test func specificErrorsStay() {
        #expect(Self.decoded(#"{"type":"commands","body":{"records":[{"id":"a"}]}}"#) == .failure(.malformedMessage("missing key bot")))
        #expect(Self.decoded(#"{"type":"commands","body":{}}"#) == .failure(.malformedMessage("missing key records")))
        #expect(Self.decoded(#"{"type":"commands","body":{"records":[{"id":"a","bot":"b","user_id":"u","command":"c","options":"","started_at":1.5,"duration_us":1,"outcome":"ok"}]}}"#)
            == .failure(.malformedMessage("type mismatch at body.records.0.started_at")))
        guard case .failure(.malformedMessage(let why)) = Self.decoded(#"{"type":"commands","type":"commands","body":{"records":[]}}"#) else {
            Issue.record("a duplicate key was accepted"); return
        }
        #expect(why.contains("duplicate key"))
    }

    /// Every prefix of a valid batch, and the batch with each byte replaced by a byte that breaks or changes it:
    /// whatever the fast path accepts, the generic decoder accepts with the same records; the rest get its error.
    @Test func cutAndCorruptedBatchesGetTheGenericResult() throws {
        let bytes = Array(try IPCEnvelope(.commands(CommandBatch(records: Self.records)), id: 1).encoded().dropFirst(4))
        var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) }
        for i in bytes.indices {
            for b: UInt8 in [0x22, 0x2C, 0x7D, 0x5D, 0x30, 0x6E, 0x5C, 0x01, 0xFF] where b != bytes[i] {
                var v = bytes
                v[i] = b
                variants.append(v)
            }
        }
        var acceptedByFastPath = 0
        for v in variants {
            let text = String(decoding: v, as: UTF8.self)
            let generic = Result { () throws(IPCError) in Decoded(try IPCEnvelope.decodeWithCodable(v)) }
            let both = Result { () throws(IPCError) in Decoded(try IPCEnvelope.decode(v)) }
            if let fast = CommandBatchReader.envelope(v) {
                acceptedByFastPath += 1
                #expect(generic == .success(Decoded(fast)), "\(text)")
            }
            #expect(both == generic, "\(text)")
        }
        // Digits replaced by zeros and the like still decode: the comparison covers accepted variants too.
        #expect(acceptedByFastPath > 0)
    }
}

/// Acks are written by hand; the bytes are the encoder's.
@Suite struct AckWireTests {
    @Test(arguments: [(nil, nil), (7, nil), (nil, 8), (1, 2), (8_999_999_999_999_999, 0)] as [(UInt64?, UInt64?)])
    func anAckIsWhatTheEncoderWrites(id: UInt64?, replyTo: UInt64?) throws {
        for ids in [[], ["1234567890123456789"], ["a", "quote \" back \\ tab \t é \u{1}", ""]] {
            let envelope = IPCEnvelope(.ack(Ack(ids: ids)), id: id, replyTo: replyTo)
            let generic = IPCFrame.encode(try JSONValueEncoder().encodeBytes(envelope))
            #expect(try envelope.encoded() == generic)
        }
    }

    @Test func anIdTheEncoderRefusesIsStillRefused() {
        #expect(throws: (any Error).self) { try IPCEnvelope(.ack(Ack(ids: ["a"])), id: 9_000_000_000_000_000).encoded() }
    }
}
