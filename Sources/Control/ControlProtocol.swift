import Fleet
import FoundationEssentials
import IPC

/// One request on the control socket: a JSON object on one line, so `socat`
/// can drive it too: `{"command":"status","bots":["alpha"]}`.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var command: ControlCommand
    public var bots: [String]?
    public var all: Bool?
    /// For `bot add` and `bot set`: the token travels in the request body, never in argv.
    public var token: String?
    public var intents: UInt64?
    public var prefix: String?
    public var applicationID: String?
    public var customCommands: [CustomCommand]?
    /// For `bot set`: fields to clear (`prefix`, `application_id`), as `null` does over HTTP.
    public var clear: [String]?
    /// For `backup`: the absolute path of the copy (the key goes to `path + ".key"`).
    public var path: String?
    /// For `logs`: the cursor of the last reply (nil: the last `limit` lines and records).
    public var cursor: LogCursor?
    public var limit: Int?
    /// For `logs`: command records only, failed ones only.
    public var commandsOnly: Bool?
    public var failedOnly: Bool?
    /// For `stock show|hide|set`: the SKUs; `catalog` narrows them to one catalog.
    public var skus: [String]?
    public var catalog: Int64?
    /// For `stock set`: the quantity, or `unlimited`.
    public var quantity: Int64?
    public var unlimited: Bool?
    /// For `display refresh`: the displays (none: every display).
    public var displays: [Int64]?

    public init(command: ControlCommand, bots: [String]? = nil, all: Bool? = nil, token: String? = nil, intents: UInt64? = nil,
                prefix: String? = nil, applicationID: String? = nil, customCommands: [CustomCommand]? = nil,
                clear: [String]? = nil, path: String? = nil, cursor: LogCursor? = nil, limit: Int? = nil,
                commandsOnly: Bool? = nil, failedOnly: Bool? = nil, skus: [String]? = nil, catalog: Int64? = nil,
                quantity: Int64? = nil, unlimited: Bool? = nil, displays: [Int64]? = nil) {
        self.skus = skus
        self.catalog = catalog
        self.quantity = quantity
        self.unlimited = unlimited
        self.displays = displays
        self.command = command
        self.bots = bots
        self.all = all
        self.token = token
        self.intents = intents
        self.prefix = prefix
        self.applicationID = applicationID
        self.customCommands = customCommands
        self.clear = clear
        self.path = path
        self.cursor = cursor
        self.limit = limit
        self.commandsOnly = commandsOnly
        self.failedOnly = failedOnly
    }

    package enum CodingKeys: String, CodingKey {
        case command, bots, all, token, intents, prefix, clear, path, cursor, limit, skus, catalog, quantity, unlimited, displays
        case applicationID = "application_id"
        case customCommands = "custom_commands"
        case commandsOnly = "commands_only"
        case failedOnly = "failed_only"
    }
}

/// One reply line: `{"ok":true,"bots":[...]}` or `{"ok":false,"error":{"code":"BOT_NOT_FOUND","message":"..."}}`.
public struct ControlReply: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
        /// For `VALIDATION_FAILED`: every failing field, as the HTTP API lists them.
        public var fields: [BotConfigError.Field]?
        package init(code: ErrorCode, message: String, fields: [BotConfigError.Field]? = nil) {
            self.code = code
            self.message = message
            self.fields = fields
        }
    }
    /// One named bot's outcome, for commands that act on several (`stop a b` reports both).
    public struct BotResult: Codable, Sendable, Equatable {
        public var name: String
        public var ok: Bool
        public var error: Failure?
        public init(name: String, ok: Bool, error: Failure? = nil) {
            self.name = name
            self.ok = ok
            self.error = error
        }
    }
    public var ok: Bool
    public var error: Failure?
    public var bots: [BotStatus]?
    public var message: String?
    /// For `status`: the address the HTTP API listens on (`127.0.0.1:8750`), with the bound port when the
    /// configuration asks for port 0.
    public var http: String?
    public var results: [BotResult]?
    /// For `logs`: what came after the request's cursor, and the cursor to ask from next.
    public var logs: LogsPage?
    /// For `stock ...`: the products concerned.
    public var stock: [StockLine]?
    /// For `display ...`: the displays concerned.
    public var displays: [DisplayLine]?

    public static func success(message: String? = nil, bots: [BotStatus]? = nil) -> ControlReply {
        ControlReply(ok: true, error: nil, bots: bots, message: message)
    }

    public static func failure(_ code: ErrorCode, _ message: String) -> ControlReply {
        ControlReply(ok: false, error: Failure(code: code, message: message), bots: nil, message: nil)
    }

    /// A rejected bot configuration, with the same code, message and fields as the HTTP API's 422.
    public static func failure(_ error: BotConfigError) -> ControlReply {
        ControlReply(ok: false, error: Failure(code: .validationFailed, message: error.message, fields: error.fields))
    }

    package init(ok: Bool, error: Failure? = nil, bots: [BotStatus]? = nil, message: String? = nil,
                 results: [BotResult]? = nil, logs: LogsPage? = nil, stock: [StockLine]? = nil, displays: [DisplayLine]? = nil) {
        self.stock = stock
        self.displays = displays
        self.ok = ok
        self.error = error
        self.bots = bots
        self.message = message
        self.results = results
        self.logs = logs
    }
}
