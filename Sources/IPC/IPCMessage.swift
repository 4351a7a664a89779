
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
    /// A GET to Discord with the bot's token, through the worker's rate limiter (`POST /bots/{name}/validate`).
    case discordGet(DiscordGet)
    /// How many invalid requests (10 minutes) the worker may reach before it holds its REST calls.
    case invalidRequestAllowance(InvalidRequestAllowance)
    case syncDisplay(DisplaySync)
    case stockListing(StockListing)
    // Both ways.
    case heartbeat
    case reply(Reply)

    /// Every message's wire name and body, in one place: the codec reads this table.
    public static let kinds: [IPCMessageKind] = [
        .message("hello", IPCMessage.hello) { if case .hello(let b) = $0 { b } else { nil } },
        .message("state", IPCMessage.state) { if case .state(let b) = $0 { b } else { nil } },
        .message("commands", IPCMessage.commands) { if case .commands(let b) = $0 { b } else { nil } },
        .message("metrics", IPCMessage.metrics) { if case .metrics(let b) = $0 { b } else { nil } },
        .message("session", IPCMessage.session) { if case .session(let b) = $0 { b } else { nil } },
        .message("fatal", IPCMessage.fatal) { if case .fatal(let b) = $0 { b } else { nil } },
        .message("welcome", IPCMessage.welcome) { if case .welcome(let b) = $0 { b } else { nil } },
        .message("configure", IPCMessage.configure) { if case .configure(let b) = $0 { b } else { nil } },
        .message("ack", IPCMessage.ack) { if case .ack(let b) = $0 { b } else { nil } },
        .message("stop", IPCMessage.stop) { if case .stop(let b) = $0 { b } else { nil } },
        .message("send_message", IPCMessage.sendMessage) { if case .sendMessage(let b) = $0 { b } else { nil } },
        .message("discord_get", IPCMessage.discordGet) { if case .discordGet(let b) = $0 { b } else { nil } },
        .message("invalid_request_allowance", IPCMessage.invalidRequestAllowance) {
            if case .invalidRequestAllowance(let b) = $0 { b } else { nil }
        },
        .message("sync_display", IPCMessage.syncDisplay) { if case .syncDisplay(let b) = $0 { b } else { nil } },
        .message("stock_listing", IPCMessage.stockListing) { if case .stockListing(let b) = $0 { b } else { nil } },
        .message("heartbeat", .heartbeat) { if case .heartbeat = $0 { true } else { false } },
        .message("reply", IPCMessage.reply) { if case .reply(let b) = $0 { b } else { nil } },
    ]

    static let kindsByType = Dictionary(uniqueKeysWithValues: kinds.map { ($0.type, $0) })

    /// This message's row in `kinds` and what it writes under `body`.
    var kindAndPayload: (IPCMessageKind, IPCMessageKind.Payload) {
        for kind in IPCMessage.kinds {
            if let payload = kind.payload(self) { return (kind, payload) }
        }
        preconditionFailure("IPCMessage.kinds has no row for \(self)")
    }

    /// The `type` field on the wire.
    public var type: String { kindAndPayload.0.type }
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
    public var state: GatewayStatus
    public var detail: String?
    public init(state: GatewayStatus, detail: String? = nil) {
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
/// A GET to Discord the worker makes with its token and its limiter; the reply's `result` holds `status`
/// and `body` (the response's JSON text).
public struct DiscordGet: Codable, Sendable, Equatable {
    public var path: String
    public init(path: String) { self.path = path }
}

/// The worker holds its REST calls while its invalid requests of the last 10 minutes reach `allowance`
/// (Discord's shared invalid-request budget, `InvalidRequestBudget` in the supervisor).
public struct InvalidRequestAllowance: Codable, Sendable, Equatable {
    public var allowance: Int
    public init(allowance: Int) { self.allowance = allowance }
}

public struct Reply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var errorCode: ErrorCode?
    public var message: String?
    public var result: [String: String]?
    public init(ok: Bool, errorCode: ErrorCode? = nil, message: String? = nil, result: [String: String]? = nil) {
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
