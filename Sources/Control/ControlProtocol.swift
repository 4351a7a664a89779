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
    public var customCommands: [CustomCommand]?

    public init(command: String, bots: [String]? = nil, all: Bool? = nil, token: String? = nil, intents: UInt64? = nil,
                prefix: String? = nil, applicationID: String? = nil, customCommands: [CustomCommand]? = nil) {
        self.command = command
        self.bots = bots
        self.all = all
        self.token = token
        self.intents = intents
        self.prefix = prefix
        self.applicationID = applicationID
        self.customCommands = customCommands
    }

    package enum CodingKeys: String, CodingKey {
        case command, bots, all, token, intents, prefix
        case applicationID = "application_id"
        case customCommands = "custom_commands"
    }
}

/// One reply line: `{"ok":true,"bots":[...]}` or `{"ok":false,"error":{"code":"BOT_NOT_FOUND","message":"..."}}`.
public struct ControlReply: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
        package init(code: ErrorCode, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var ok: Bool
    public var error: Failure?
    public var bots: [BotStatus]?
    public var message: String?
    /// For `status`: the address the HTTP API listens on (`127.0.0.1:8750`), with the bound port when the
    /// configuration asks for port 0.
    public var http: String?

    public static func success(message: String? = nil, bots: [BotStatus]? = nil) -> ControlReply {
        ControlReply(ok: true, error: nil, bots: bots, message: message)
    }

    public static func failure(_ code: ErrorCode, _ message: String) -> ControlReply {
        ControlReply(ok: false, error: Failure(code: code, message: message), bots: nil, message: nil)
    }
    package init(ok: Bool, error: Failure? = nil, bots: [BotStatus]? = nil, message: String? = nil) {
        self.ok = ok
        self.error = error
        self.bots = bots
        self.message = message
    }
}
