import Fleet
import FoundationEssentials
import IPC

/// One request on the control socket: a JSON object on one line, so `socat`
/// can drive it too: `{"command":"status","bots":["alpha"]}`.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var command: String
    public var bots: [String]?
    public var all: Bool?
    /// For `bot add`: the token travels in the request body, never in argv.
    public var token: String?
    public var intents: UInt64?
    public var prefix: String?
    public var applicationID: String?
    public var role: String?
    public var subject: String?
    public var ttlSeconds: Int?
    public var customCommands: [CustomCommand]?

    public init(command: String, bots: [String]? = nil, all: Bool? = nil, token: String? = nil, intents: UInt64? = nil,
                prefix: String? = nil, applicationID: String? = nil, role: String? = nil, subject: String? = nil,
                ttlSeconds: Int? = nil, customCommands: [CustomCommand]? = nil) {
        self.command = command
        self.bots = bots
        self.all = all
        self.token = token
        self.intents = intents
        self.prefix = prefix
        self.applicationID = applicationID
        self.role = role
        self.subject = subject
        self.ttlSeconds = ttlSeconds
        self.customCommands = customCommands
    }

    package enum CodingKeys: String, CodingKey {
        case command, bots, all, token, intents, prefix, role, subject
        case applicationID = "application_id"
        case ttlSeconds = "ttl_seconds"
        case customCommands = "custom_commands"
    }
}

/// One reply line: `{"ok":true,"bots":[...]}` or `{"ok":false,"error":{"code":"BOT_NOT_FOUND","message":"..."}}`.
public struct ControlReply: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        package init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var ok: Bool
    public var error: Failure?
    public var bots: [BotStatus]?
    public var message: String?
    public var token: String?

    public static func success(message: String? = nil, bots: [BotStatus]? = nil) -> ControlReply {
        ControlReply(ok: true, error: nil, bots: bots, message: message, token: nil)
    }

    public static func failure(_ code: String, _ message: String) -> ControlReply {
        ControlReply(ok: false, error: Failure(code: code, message: message), bots: nil, message: nil, token: nil)
    }
    package init(ok: Bool, error: Failure? = nil, bots: [BotStatus]? = nil, message: String? = nil, token: String? = nil) {
        self.ok = ok
        self.error = error
        self.bots = bots
        self.message = message
        self.token = token
    }
}
