import Fleet
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
    /// For `user.*`: the account; for `token.create`: the token's name; for `token.revoke`: its id.
    public var name: String?
    /// For `user.add` and `token.create`: viewer, operator or admin.
    public var role: String?
    /// For `user.add` and `user.passwd`: read by botvisorctl from a prompt or stdin, never from argv.
    public var password: String?
    /// For `token.create`: the lifetime in seconds.
    public var ttlSeconds: Int64?
    /// For `audit.list`: filters, as `GET /api/v1/audit` takes them.
    public var actor: String?
    public var action: String?
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
                commandsOnly: Bool? = nil, failedOnly: Bool? = nil, name: String? = nil, role: String? = nil,
                password: String? = nil, ttlSeconds: Int64? = nil, skus: [String]? = nil, catalog: Int64? = nil,
                quantity: Int64? = nil, unlimited: Bool? = nil, displays: [Int64]? = nil) {
        self.skus = skus
        self.catalog = catalog
        self.quantity = quantity
        self.unlimited = unlimited
        self.displays = displays
        self.command = command
        self.name = name
        self.role = role
        self.password = password
        self.ttlSeconds = ttlSeconds
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
        case command, bots, all, token, intents, prefix, clear, path, cursor, limit, actor, action, skus, catalog, quantity, unlimited, displays
        case applicationID = "application_id"
        case customCommands = "custom_commands"
        case commandsOnly = "commands_only"
        case failedOnly = "failed_only"
        case name, role, password
        case ttlSeconds = "ttl_seconds"
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
    /// For `user.*`: the accounts (never a password or its hash).
    public var users: [AccountSummary]?
    /// For `token.*`: the API tokens; after `token.create`, the one made, with its `token` shown this once.
    public var tokens: [APITokenSummary]?
    /// For `audit.list`: rows, newest first.
    public var audit: [AuditLine]?
    /// For `audit.verify`: what the walk over the hash chain found.
    public var verification: AuditVerification?
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

/// One audit row as `botvisorctl audit list` shows it.
public struct AuditLine: Codable, Sendable, Equatable {
    public var seq: Int64
    /// Unix milliseconds.
    public var time: Int64
    public var actor: String
    public var address: String?
    public var action: String
    public var target: String?
    public var outcome: String
    public var requestID: String?
    public var details: [String: String]

    public init(seq: Int64, time: Int64, actor: String, address: String?, action: String, target: String?, outcome: String,
                requestID: String?, details: [String: String]) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.address = address
        self.action = action
        self.target = target
        self.outcome = outcome
        self.requestID = requestID
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case seq, time, actor, address, action, target, outcome, details
        case requestID = "request_id"
    }
}

/// The result of `botvisorctl audit verify`: intact (how many rows, from which anchor), or the first
/// row that was altered or removed.
public struct AuditVerification: Codable, Sendable, Equatable {
    public var intact: Bool
    /// Rows checked (all of them when intact).
    public var rows: Int
    /// The sequence the chain starts after (0, or where retention last removed a prefix).
    public var anchor: Int64
    /// The first row found altered or removed.
    public var firstBadRow: Int64?
    /// What is wrong, in words (`row 3 was altered: its contents do not match its hash`).
    public var problem: String?

    public init(intact: Bool, rows: Int, anchor: Int64, firstBadRow: Int64? = nil, problem: String? = nil) {
        self.intact = intact
        self.rows = rows
        self.anchor = anchor
        self.firstBadRow = firstBadRow
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case intact, rows, anchor, problem
        case firstBadRow = "first_bad_row"
    }
}
