import JSON

/// Gateway opcodes (docs/discord-protocol.md §1.3, D-OP).
public struct GatewayOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let dispatch = GatewayOpcode(rawValue: 0)
    public static let heartbeat = GatewayOpcode(rawValue: 1)
    public static let identify = GatewayOpcode(rawValue: 2)
    public static let presenceUpdate = GatewayOpcode(rawValue: 3)
    public static let voiceStateUpdate = GatewayOpcode(rawValue: 4)
    public static let resume = GatewayOpcode(rawValue: 6)
    public static let reconnect = GatewayOpcode(rawValue: 7)
    public static let requestGuildMembers = GatewayOpcode(rawValue: 8)
    public static let invalidSession = GatewayOpcode(rawValue: 9)
    public static let hello = GatewayOpcode(rawValue: 10)
    public static let heartbeatACK = GatewayOpcode(rawValue: 11)

    public var description: String { String(rawValue) }
}

/// Gateway close codes and what a client does after each (docs/discord-protocol.md §1.9).
public struct GatewayCloseCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let unknownError = GatewayCloseCode(rawValue: 4000)
    public static let unknownOpcode = GatewayCloseCode(rawValue: 4001)
    public static let decodeError = GatewayCloseCode(rawValue: 4002)
    public static let notAuthenticated = GatewayCloseCode(rawValue: 4003)
    public static let authenticationFailed = GatewayCloseCode(rawValue: 4004)
    public static let alreadyAuthenticated = GatewayCloseCode(rawValue: 4005)
    public static let invalidSeq = GatewayCloseCode(rawValue: 4007)
    public static let rateLimited = GatewayCloseCode(rawValue: 4008)
    public static let sessionTimedOut = GatewayCloseCode(rawValue: 4009)
    public static let invalidShard = GatewayCloseCode(rawValue: 4010)
    public static let shardingRequired = GatewayCloseCode(rawValue: 4011)
    public static let invalidAPIVersion = GatewayCloseCode(rawValue: 4012)
    public static let invalidIntents = GatewayCloseCode(rawValue: 4013)
    public static let disallowedIntents = GatewayCloseCode(rawValue: 4014)

    /// 4004 and 4010-4014: reconnecting cannot help (D-OP "reconnect: false").
    public var isFatal: Bool { rawValue == 4004 || (4010...4014).contains(rawValue) }
    /// 4007 and 4009 (and the historical 4006): reconnect, but start a new session.
    public var requiresNewSession: Bool { rawValue == 4006 || rawValue == 4007 || rawValue == 4009 }
    /// A fatal code because of the token (as opposed to the shard, version or intents).
    public var isAuthenticationFailure: Bool { rawValue == 4004 }

    public var meaning: String {
        switch rawValue {
        case 4000: "unknown error"
        case 4001: "unknown opcode"
        case 4002: "decode error"
        case 4003: "not authenticated"
        case 4004: "authentication failed"
        case 4005: "already authenticated"
        case 4007: "invalid seq"
        case 4008: "rate limited"
        case 4009: "session timed out"
        case 4010: "invalid shard"
        case 4011: "sharding required"
        case 4012: "invalid API version"
        case 4013: "invalid intents"
        case 4014: "disallowed intents"
        default: "close code \(rawValue)"
        }
    }
}

/// Gateway intents (D-GW "Gateway Intents").
public struct GatewayIntents: OptionSet, Sendable, Hashable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let guilds = GatewayIntents(rawValue: 1 << 0)
    public static let guildMembers = GatewayIntents(rawValue: 1 << 1)
    public static let guildModeration = GatewayIntents(rawValue: 1 << 2)
    public static let guildExpressions = GatewayIntents(rawValue: 1 << 3)
    public static let guildIntegrations = GatewayIntents(rawValue: 1 << 4)
    public static let guildWebhooks = GatewayIntents(rawValue: 1 << 5)
    public static let guildInvites = GatewayIntents(rawValue: 1 << 6)
    public static let guildVoiceStates = GatewayIntents(rawValue: 1 << 7)
    public static let guildPresences = GatewayIntents(rawValue: 1 << 8)
    public static let guildMessages = GatewayIntents(rawValue: 1 << 9)
    public static let guildMessageReactions = GatewayIntents(rawValue: 1 << 10)
    public static let guildMessageTyping = GatewayIntents(rawValue: 1 << 11)
    public static let directMessages = GatewayIntents(rawValue: 1 << 12)
    public static let directMessageReactions = GatewayIntents(rawValue: 1 << 13)
    public static let directMessageTyping = GatewayIntents(rawValue: 1 << 14)
    public static let messageContent = GatewayIntents(rawValue: 1 << 15)
    public static let guildScheduledEvents = GatewayIntents(rawValue: 1 << 16)
    public static let autoModerationConfiguration = GatewayIntents(rawValue: 1 << 20)
    public static let autoModerationExecution = GatewayIntents(rawValue: 1 << 21)
    public static let guildMessagePolls = GatewayIntents(rawValue: 1 << 24)
    public static let directMessagePolls = GatewayIntents(rawValue: 1 << 25)

    /// Need approval in the developer portal (docs/discord-protocol.md §1.5).
    public static let privileged: GatewayIntents = [.guildMembers, .guildPresences, .messageContent]
    /// Every documented bit.
    public static let allKnown = GatewayIntents(rawValue: (1 << 17) - 1 | 1 << 20 | 1 << 21 | 1 << 24 | 1 << 25)
}

/// The gateway envelope `{"op","d","s","t"}` (docs/discord-protocol.md §1.3).
public struct GatewayPayload: Sendable, Equatable {
    public var op: GatewayOpcode
    /// The event data, parsed only as far as it is read: a worker routes most dispatches on two or three
    /// of their members (issue 16).
    public var data: LazyJSON
    public var s: Int?
    public var t: String?

    /// The event data, parsed in full.
    public var d: JSON {
        get { data.value }
        set { data = LazyJSON(newValue) }
    }

    public init(op: GatewayOpcode, d: JSON = .null, s: Int? = nil, t: String? = nil) {
        self.op = op
        self.data = LazyJSON(d)
        self.s = s
        self.t = t
    }

    /// Parses a gateway text frame; a malformed one is a typed error. All of it is checked as `JSON.parse`
    /// checks text, but only `op`, `s` and `t` are built here: `d` is built as it is read.
    public static func parse(_ bytes: [UInt8]) throws(GatewayPayloadError) -> GatewayPayload {
        let object: [(key: String, value: LazyJSON)]?
        do { object = try LazyJSON.parseObject(bytes) } catch { throw .invalidJSON(error.description) }
        guard let members = object else { throw .notAnObject }
        var op: Int?, data: LazyJSON?, s: Int?, t: String?
        for (key, value) in members {
            switch key {
            case "op": op = value.int
            case "d": data = value
            case "s": s = value.int
            case "t": t = value.string
            default: break
            }
        }
        guard let op else { throw .missingOpcode }
        var payload = GatewayPayload(op: GatewayOpcode(rawValue: op), s: s, t: t)
        payload.data = data ?? LazyJSON(.null)
        return payload
    }

    /// Compact text with sorted keys, as `JSON.serialized()` writes the envelope.
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: #"{"d":"#.utf8)
        out.append(contentsOf: data.value.bytes)
        out.append(contentsOf: #","op":"#.utf8)
        out.append(contentsOf: String(op.rawValue).utf8)
        out.append(contentsOf: #","s":"#.utf8)
        out.append(contentsOf: s.map { String($0) }.map { Array($0.utf8) } ?? Array("null".utf8))
        out.append(contentsOf: #","t":"#.utf8)
        if let t { JSON.appendQuoted(t, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A gateway frame that is not a valid payload.
public enum GatewayPayloadError: Error, Equatable, CustomStringConvertible {
    case invalidJSON(String)
    case notAnObject
    case missingOpcode

    public var description: String {
        switch self {
        case .invalidJSON(let why): why
        case .notAnObject: "payload is not a JSON object"
        case .missingOpcode: "payload has no integer op"
        }
    }
}

/// Gateway limits (docs/discord-protocol.md §1.10).
public enum GatewayLimits {
    /// A sent payload over 4096 bytes closes the connection with 4002.
    public static let maximumPayloadBytes = 4096
    /// 120 events per connection per 60 s, heartbeats included (4008 beyond).
    public static let sendsPerWindow = 120
    public static let sendWindow: Duration = .seconds(60)
    /// One identify per 5 s per `max_concurrency` bucket (1 for most bots), with a margin.
    public static let identifySpacing: Duration = .milliseconds(5_100)
}
