import Foundation
import Testing
@testable import IPC

/// The message table: every message is declared once, and every one crosses the wire and back unchanged.
@Suite struct IPCMessageCodecTests {
    static let config = WorkerConfig(bot: "alpha", token: "tok", applicationID: "app", prefix: "!",
                                     customCommands: [CustomCommand(name: "hi", description: "d", response: "hello {user}", delayMilliseconds: 5)],
                                     session: SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 9))
    static let record = CommandRecord(id: "r1", bot: "alpha", guildID: "g", channelID: nil, userID: "u", command: "ping",
                                      options: "{}", startedAt: 1, durationMicros: 250, outcome: .rateLimited, errorCode: "E")

    /// One envelope per message; the switch has no default, so a new message cannot be left out.
    static func sample(like message: IPCMessage) -> IPCEnvelope {
        switch message {
        case .hello: IPCEnvelope(.hello(Hello(bot: "alpha", pid: 42)))
        case .state: IPCEnvelope(.state(StateReport(state: .resuming, detail: "after 4000")))
        case .commands: IPCEnvelope(.commands(CommandBatch(records: [record])), id: 3)
        case .metrics: IPCEnvelope(.metrics(WorkerMetrics(gatewayRTTMillis: 41.5, events: 2, commands: 1)))
        case .session: IPCEnvelope(.session(SessionState(sessionID: "s", resumeURL: "wss://r", sequence: nil)))
        case .fatal: IPCEnvelope(.fatal(FatalReport(closeCode: 4004, reason: "Authentication failed")))
        case .welcome: IPCEnvelope(.welcome(Welcome(config: config)), replyTo: 1)
        case .configure: IPCEnvelope(.configure(config))
        case .ack: IPCEnvelope(.ack(Ack(ids: ["r1", "r2"])))
        case .stop: IPCEnvelope(.stop(Stop(handover: true)))
        case .sendMessage: IPCEnvelope(.sendMessage(SendMessage(channelID: "c", content: "hi", nonce: "n")), id: 8)
        case .discordGet: IPCEnvelope(.discordGet(DiscordGet(path: "/users/@me")), id: 9)
        case .invalidRequestAllowance: IPCEnvelope(.invalidRequestAllowance(InvalidRequestAllowance(allowance: 160)))
        case .syncDisplay: IPCEnvelope(.syncDisplay(DisplaySync(displayID: 7, channelID: "c", slots: [.init(messageID: "m1", body: nil, nonce: "n1"),
                                                                                                     .init(messageID: nil, body: "{}", nonce: "n2")],
                                                                 delete: ["m9"])), id: 9)
        case .stockListing: IPCEnvelope(.stockListing(StockListing(title: "Shop", items: [.init(title: "Apple", detail: "3 left", category: nil)])))
        case .heartbeat: IPCEnvelope(.heartbeat)
        case .reply: IPCEnvelope(.reply(Reply(ok: false, errorCode: "E_X", message: "m", result: ["k": "v"])), replyTo: 8)
        }
    }

    static let samples: [IPCEnvelope] = [
        .hello(Hello(bot: "", pid: 0)), .state(StateReport(state: .ready)), .commands(CommandBatch(records: [])), .metrics(WorkerMetrics()),
        .session(SessionState(sessionID: "", resumeURL: "", sequence: nil)), .fatal(FatalReport(closeCode: 0, reason: "")),
        .welcome(Welcome(config: config)), .configure(config), .ack(Ack(ids: [])), .stop(Stop(handover: false)),
        .sendMessage(SendMessage(channelID: "", content: nil)), .discordGet(DiscordGet(path: "")),
        .invalidRequestAllowance(InvalidRequestAllowance(allowance: 0)), .syncDisplay(DisplaySync(displayID: 0, channelID: "", slots: [])),
        .stockListing(StockListing(title: "", items: [])), .heartbeat, .reply(Reply(ok: true)),
    ].map { sample(like: $0) }

    @Test func theSamplesCoverEveryMessageTheTableDeclares() {
        #expect(Self.samples.map(\.message.type) == IPCMessage.kinds.map(\.type))
        #expect(Set(IPCMessage.kinds.map(\.type)).count == IPCMessage.kinds.count)
    }

    @Test func everyMessageRoundTripsToTheSameBytes() throws {
        for envelope in Self.samples {
            let wire = try envelope.encoded()
            var decoder = IPCFrameDecoder()
            decoder.feed(wire)
            let back = try IPCEnvelope.decode(try #require(try decoder.next()))
            #expect(back.message.type == envelope.message.type && back.id == envelope.id && back.replyTo == envelope.replyTo)
            // As JSON values: JSONEncoder's key order is not stable.
            #expect(try Self.json(back.encoded()) == Self.json(wire), "\(envelope.message.type)")
        }
    }

    static func json(_ frame: [UInt8]) throws -> NSDictionary? {
        try JSONSerialization.jsonObject(with: Data(frame.dropFirst(4))) as? NSDictionary
    }

    /// What the hand-written codec wrote before the table replaced it, compared as JSON values (JSONEncoder's
    /// key order changes from one process to the next): the wire format did not change.
    @Test func theWireIsWhatTheHandWrittenCodecWrote() throws {
        #expect(Self.samples.count == Self.golden.count)
        for (envelope, expected) in zip(Self.samples, Self.golden) {
            let actual = try Self.json(envelope.encoded())
            let before = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? NSDictionary
            #expect(actual != nil && actual == before, "\(envelope.message.type)")
        }
    }

    /// What a peer built with Foundation's coders wrote (slashes escaped, keys in any order) reads back the same.
    @Test func theGoldenFramesDecode() throws {
        for (envelope, text) in zip(Self.samples, Self.golden) {
            let back = try IPCEnvelope.decode(Array(text.utf8))
            #expect(try Self.json(back.encoded()) == Self.json(envelope.encoded()), "\(envelope.message.type)")
        }
    }

    static let golden: [String] = [
        #"{"type":"hello","body":{"version":1,"pid":42,"bot":"alpha"}}"#,
        #"{"type":"state","body":{"detail":"after 4000","state":"resuming"}}"#,
        #"{"type":"commands","body":{"records":[{"outcome":"rate_limited","id":"r1","command":"ping","started_at":1,"guild_id":"g","bot":"alpha","user_id":"u","error_code":"E","duration_us":250,"options":"{}"}]},"id":3}"#,
        #"{"type":"metrics","body":{"rest_calls":0,"rest_429":0,"gateway_rtt_ms":41.5,"invalid_requests":0,"events":2,"reconnects":0,"identifies":0,"resumes":0,"commands":1}}"#,
        #"{"type":"session","body":{"session_id":"s","resume_url":"wss:\/\/r"}}"#,
        #"{"type":"fatal","body":{"reason":"Authentication failed","close_code":4004}}"#,
        #"{"type":"welcome","reply_to":1,"body":{"config":{"intents":513,"prefix":"!","command_timeout_seconds":10,"rate_limit_seconds":10,"custom_commands":[{"response":"hello {user}","description":"d","delay_ms":5,"ephemeral":false,"name":"hi"}],"session":{"session_id":"s","seq":9,"resume_url":"wss:\/\/r"},"bot":"alpha","application_id":"app","api_base":"https:\/\/discord.com\/api\/v10","token":"tok","rate_limit_count":5},"version":1}}"#,
        #"{"type":"configure","body":{"intents":513,"prefix":"!","command_timeout_seconds":10,"rate_limit_seconds":10,"custom_commands":[{"response":"hello {user}","description":"d","delay_ms":5,"ephemeral":false,"name":"hi"}],"session":{"session_id":"s","seq":9,"resume_url":"wss:\/\/r"},"bot":"alpha","application_id":"app","api_base":"https:\/\/discord.com\/api\/v10","token":"tok","rate_limit_count":5}}"#,
        #"{"type":"ack","body":{"ids":["r1","r2"]}}"#,
        #"{"type":"stop","body":{"handover":true}}"#,
        #"{"type":"send_message","body":{"content":"hi","nonce":"n","channel_id":"c"},"id":8}"#,
        // Added after the table (issue 13): validate through the worker's limiter, the invalid-request allowance.
        #"{"type":"discord_get","body":{"path":"\/users\/@me"},"id":9}"#,
        #"{"type":"invalid_request_allowance","body":{"allowance":160}}"#,
        #"{"type":"sync_display","id":9,"body":{"display_id":7,"channel_id":"c","slots":[{"message_id":"m1","nonce":"n1"},{"body":"{}","nonce":"n2"}],"delete":["m9"]}}"#,
        #"{"type":"stock_listing","body":{"title":"Shop","items":[{"title":"Apple","detail":"3 left"}]}}"#,
        #"{"type":"heartbeat"}"#,
        #"{"type":"reply","reply_to":8,"body":{"error_code":"E_X","result":{"k":"v"},"message":"m","ok":false}}"#,
    ]
}
