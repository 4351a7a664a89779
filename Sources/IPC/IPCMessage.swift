import FoundationEssentials

/// The IPC protocol version both sides announce in hello/welcome.
public let ipcProtocolVersion = 1

/// One IPC message: a type, an optional correlation id for requests, an
/// optional `replyTo` for replies, and a typed body. On the wire:
/// `{"type":"hello","id":1,"reply_to":null,"body":{...}}`.
public struct IPCEnvelope: Sendable {
    public var id: UInt64?
    public var replyTo: UInt64?
    public var message: IPCMessage

    public init(_ message: IPCMessage, id: UInt64? = nil, replyTo: UInt64? = nil) {
        self.message = message
        self.id = id
        self.replyTo = replyTo
    }
}

/// Every message the worker and the supervisor exchange.
public enum IPCMessage: Sendable {
    // Worker -> supervisor.
    case hello(Hello)
    case state(StateReport)
    case commands(CommandBatch)
    case metrics(WorkerMetrics)
    case session(SessionState)
    case fatal(FatalReport)
    // Supervisor -> worker.
    case welcome(Welcome)
    case configure(WorkerConfig)
    case ack(Ack)
    case stop(Stop)
    case sendMessage(SendMessage)
    // Both ways.
    case heartbeat
    case reply(Reply)

    public var type: String {
        switch self {
        case .hello: "hello"
        case .state: "state"
        case .commands: "commands"
        case .metrics: "metrics"
        case .session: "session"
        case .fatal: "fatal"
        case .welcome: "welcome"
        case .configure: "configure"
        case .ack: "ack"
        case .stop: "stop"
        case .sendMessage: "send_message"
        case .heartbeat: "heartbeat"
        case .reply: "reply"
        }
    }
}

/// The worker's first message.
public struct Hello: Codable, Sendable, Equatable {
    public var version: Int
    public var bot: String
    public var pid: Int32
    public init(version: Int = ipcProtocolVersion, bot: String, pid: Int32) {
        self.version = version
        self.bot = bot
        self.pid = pid
    }
}

/// The supervisor's answer to hello: the bot's configuration, token included.
public struct Welcome: Codable, Sendable {
    public var version: Int
    public var config: WorkerConfig
    public init(version: Int = ipcProtocolVersion, config: WorkerConfig) {
        self.version = version
        self.config = config
    }
}

/// A custom command from the bot's configuration.
public struct CustomCommand: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    /// Response template with `{user}`, `{guild}`, `{channel}` placeholders.
    public var response: String
    public var ephemeral: Bool
    /// Simulated work before answering, in milliseconds (demo mode and tests use it to show deferred replies).
    public var delayMilliseconds: Int?
    public init(name: String, description: String, response: String, ephemeral: Bool = false, delayMilliseconds: Int? = nil) {
        self.name = name
        self.description = description
        self.response = response
        self.ephemeral = ephemeral
        self.delayMilliseconds = delayMilliseconds
    }
    enum CodingKeys: String, CodingKey {
        case name, description, response, ephemeral
        case delayMilliseconds = "delay_ms"
    }
}

/// Everything a worker needs to run its bot. Carries the token: never log it.
public struct WorkerConfig: Codable, Sendable {
    public var bot: String
    public var token: String
    public var applicationID: String?
    public var intents: UInt64
    public var prefix: String?
    public var apiBase: String
    public var customCommands: [CustomCommand]
    /// Anti-spam: at most `rateLimitCount` commands per user per `rateLimitSeconds`.
    public var rateLimitCount: Int
    public var rateLimitSeconds: Double
    public var commandTimeoutSeconds: Double
    /// The gateway session to resume instead of identifying, when the supervisor kept one.
    public var session: SessionState?
    /// Wait this long before identifying: the bot's previous worker identified less than 5 s
    /// ago, and Discord allows one identify per 5 s (`max_concurrency` 1).
    public var identifyDelayMilliseconds: Int?

    public init(bot: String, token: String, applicationID: String? = nil, intents: UInt64 = 513, prefix: String? = nil,
                apiBase: String = "https://discord.com/api/v10", customCommands: [CustomCommand] = [],
                rateLimitCount: Int = 5, rateLimitSeconds: Double = 10, commandTimeoutSeconds: Double = 10,
                session: SessionState? = nil) {
        self.bot = bot
        self.token = token
        self.applicationID = applicationID
        self.intents = intents
        self.prefix = prefix
        self.apiBase = apiBase
        self.customCommands = customCommands
        self.rateLimitCount = rateLimitCount
        self.rateLimitSeconds = rateLimitSeconds
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.session = session
    }

    enum CodingKeys: String, CodingKey {
        case bot, token, intents, prefix, session
        case applicationID = "application_id"
        case apiBase = "api_base"
        case customCommands = "custom_commands"
        case rateLimitCount = "rate_limit_count"
        case rateLimitSeconds = "rate_limit_seconds"
        case commandTimeoutSeconds = "command_timeout_seconds"
        case identifyDelayMilliseconds = "identify_delay_ms"
    }
}

/// A worker's state change (`connecting`, `ready`, `resuming` ...).
public struct StateReport: Codable, Sendable, Equatable {
    public var state: String
    public var detail: String?
    public init(state: String, detail: String? = nil) {
        self.state = state
        self.detail = detail
    }
}

/// The gateway session a replacement worker can resume.
public struct SessionState: Codable, Sendable, Equatable {
    public var sessionID: String
    public var resumeURL: String
    public var sequence: Int?
    public init(sessionID: String, resumeURL: String, sequence: Int?) {
        self.sessionID = sessionID
        self.resumeURL = resumeURL
        self.sequence = sequence
    }
    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case resumeURL = "resume_url"
        case sequence = "seq"
    }
}

/// Discord refused the session for good (close 4004, 4010-4014).
public struct FatalReport: Codable, Sendable, Equatable {
    public var closeCode: Int
    public var reason: String
    public init(closeCode: Int, reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }
    enum CodingKeys: String, CodingKey {
        case closeCode = "close_code"
        case reason
    }
}

/// One handled command: who, where, what, how long, outcome.
public struct CommandRecord: Codable, Sendable, Equatable {
    /// Unique per record; the supervisor ignores a record whose id it already stored.
    public var id: String
    public var bot: String
    public var guildID: String?
    public var channelID: String?
    public var userID: String
    public var command: String
    /// The options as a JSON object text.
    public var options: String
    /// Receipt time, microseconds since the Unix epoch.
    public var startedAt: Int64
    /// Receipt to response, in microseconds.
    public var durationMicros: Int64
    /// `ok`, `error`, `rate_limited`, `timeout`, `expired` (the interaction arrived past Discord's 3 s
    /// response deadline, as when replayed after an outage, and was not answered) or `interrupted` (the
    /// worker died before the command finished; recorded by the next worker from the bot's spool).
    public var outcome: String
    public var errorCode: String?
    public var errorMessage: String?

    public init(id: String, bot: String, guildID: String?, channelID: String?, userID: String, command: String,
                options: String, startedAt: Int64, durationMicros: Int64, outcome: String,
                errorCode: String? = nil, errorMessage: String? = nil) {
        self.id = id
        self.bot = bot
        self.guildID = guildID
        self.channelID = channelID
        self.userID = userID
        self.command = command
        self.options = options
        self.startedAt = startedAt
        self.durationMicros = durationMicros
        self.outcome = outcome
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    enum CodingKeys: String, CodingKey {
        case id, bot, command, options, outcome
        case guildID = "guild_id"
        case channelID = "channel_id"
        case userID = "user_id"
        case startedAt = "started_at"
        case durationMicros = "duration_us"
        case errorCode = "error_code"
        case errorMessage = "error_message"
    }
}

/// Command records sent together; acknowledged together once committed.
public struct CommandBatch: Codable, Sendable, Equatable {
    public var records: [CommandRecord]
    public init(records: [CommandRecord]) { self.records = records }
}

/// The supervisor committed these records.
public struct Ack: Codable, Sendable, Equatable {
    public var ids: [String]
    public init(ids: [String]) { self.ids = ids }
}

/// Counters and gauges a worker reports periodically. Counters are totals since the worker started.
public struct WorkerMetrics: Codable, Sendable, Equatable {
    public var gatewayRTTMillis: Double?
    public var events: Int
    public var commands: Int
    public var restCalls: Int
    public var rest429: Int
    public var reconnects: Int
    public var resumes: Int
    public var identifies: Int
    /// 401/403/429 responses in the last 10 minutes (Discord's invalid-request budget).
    public var invalidRequests: Int
    /// Milliseconds since the last gateway dispatch, nil before the first.
    public var lastDispatchAgeMillis: Double?

    public init(gatewayRTTMillis: Double? = nil, events: Int = 0, commands: Int = 0, restCalls: Int = 0, rest429: Int = 0,
                reconnects: Int = 0, resumes: Int = 0, identifies: Int = 0, invalidRequests: Int = 0,
                lastDispatchAgeMillis: Double? = nil) {
        self.gatewayRTTMillis = gatewayRTTMillis
        self.events = events
        self.commands = commands
        self.restCalls = restCalls
        self.rest429 = rest429
        self.reconnects = reconnects
        self.resumes = resumes
        self.identifies = identifies
        self.invalidRequests = invalidRequests
        self.lastDispatchAgeMillis = lastDispatchAgeMillis
    }

    enum CodingKeys: String, CodingKey {
        case events, commands, reconnects, resumes, identifies
        case gatewayRTTMillis = "gateway_rtt_ms"
        case restCalls = "rest_calls"
        case rest429 = "rest_429"
        case invalidRequests = "invalid_requests"
        case lastDispatchAgeMillis = "last_dispatch_age_ms"
    }
}

/// Stop the worker. With `handover` the gateway session is left resumable
/// (no 1000/1001 close) so a replacement can resume it.
public struct Stop: Codable, Sendable, Equatable {
    public var handover: Bool
    public init(handover: Bool) { self.handover = handover }
}

/// Send a message through the bot's rate-limited REST client (bulk messaging).
public struct SendMessage: Codable, Sendable, Equatable {
    public var channelID: String
    public var content: String?
    /// The embeds as a JSON array text, passed through to Discord.
    public var embeds: String?
    /// Sent with `enforce_nonce`: Discord returns the message already created with
    /// this nonce instead of creating a second one, so a resend after a crash is safe.
    public var nonce: String?
    public init(channelID: String, content: String?, embeds: String? = nil, nonce: String? = nil) {
        self.channelID = channelID
        self.content = content
        self.embeds = embeds
        self.nonce = nonce
    }
    enum CodingKeys: String, CodingKey {
        case channelID = "channel_id"
        case content, embeds, nonce
    }
}

/// The answer to a request (`id` -> `replyTo`).
public struct Reply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var errorCode: String?
    public var message: String?
    public var result: [String: String]?
    public init(ok: Bool, errorCode: String? = nil, message: String? = nil, result: [String: String]? = nil) {
        self.ok = ok
        self.errorCode = errorCode
        self.message = message
        self.result = result
    }
    enum CodingKeys: String, CodingKey {
        case ok, message, result
        case errorCode = "error_code"
    }
}

// MARK: Wire format

extension IPCEnvelope: Codable {
    enum CodingKeys: String, CodingKey {
        case type, id, body
        case replyTo = "reply_to"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(UInt64.self, forKey: .id)
        replyTo = try c.decodeIfPresent(UInt64.self, forKey: .replyTo)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "hello": message = .hello(try c.decode(Hello.self, forKey: .body))
        case "state": message = .state(try c.decode(StateReport.self, forKey: .body))
        case "commands": message = .commands(try c.decode(CommandBatch.self, forKey: .body))
        case "metrics": message = .metrics(try c.decode(WorkerMetrics.self, forKey: .body))
        case "session": message = .session(try c.decode(SessionState.self, forKey: .body))
        case "fatal": message = .fatal(try c.decode(FatalReport.self, forKey: .body))
        case "welcome": message = .welcome(try c.decode(Welcome.self, forKey: .body))
        case "configure": message = .configure(try c.decode(WorkerConfig.self, forKey: .body))
        case "ack": message = .ack(try c.decode(Ack.self, forKey: .body))
        case "stop": message = .stop(try c.decode(Stop.self, forKey: .body))
        case "send_message": message = .sendMessage(try c.decode(SendMessage.self, forKey: .body))
        case "heartbeat": message = .heartbeat
        case "reply": message = .reply(try c.decode(Reply.self, forKey: .body))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown message type \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message.type, forKey: .type)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(replyTo, forKey: .replyTo)
        switch message {
        case .hello(let b): try c.encode(b, forKey: .body)
        case .state(let b): try c.encode(b, forKey: .body)
        case .commands(let b): try c.encode(b, forKey: .body)
        case .metrics(let b): try c.encode(b, forKey: .body)
        case .session(let b): try c.encode(b, forKey: .body)
        case .fatal(let b): try c.encode(b, forKey: .body)
        case .welcome(let b): try c.encode(b, forKey: .body)
        case .configure(let b): try c.encode(b, forKey: .body)
        case .ack(let b): try c.encode(b, forKey: .body)
        case .stop(let b): try c.encode(b, forKey: .body)
        case .sendMessage(let b): try c.encode(b, forKey: .body)
        case .heartbeat: break
        case .reply(let b): try c.encode(b, forKey: .body)
        }
    }

    /// The framed wire bytes of this envelope.
    public func encoded() throws -> [UInt8] {
        IPCFrame.encode(Array(try JSONEncoder().encode(self)))
    }

    /// Decodes one frame's payload; a malformed payload is a typed error.
    public static func decode(_ payload: [UInt8]) throws(IPCError) -> IPCEnvelope {
        do {
            return try JSONDecoder().decode(IPCEnvelope.self, from: Data(payload))
        } catch let error as DecodingError {
            throw .malformedMessage(IPCEnvelope.describe(error))
        } catch {
            throw .malformedMessage("\(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c): return c.debugDescription
        case .keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case .typeMismatch(_, let c): return "type mismatch at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .valueNotFound(_, let c): return "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        @unknown default: return "\(error)"
        }
    }
}

/// Worker exit statuses the supervisor acts on (sysexits.h values).
public enum WorkerExitCode {
    /// Discord refused the token (close 4004): do not restart.
    public static let authFailed: Int32 = 77
    /// Discord refused the configuration (close 4010-4014): do not restart.
    public static let configFailed: Int32 = 78
    /// The worker was told to stop, or its standalone session ended normally.
    public static let ok: Int32 = 0
}
