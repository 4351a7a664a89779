/// The one vocabulary of failure codes, shared by everything that reports a failure: the HTTP API's
/// error bodies, control socket replies, IPC replies from workers, bulk job items and command records.
/// One spelling scheme: upper snake case, no prefix (`BOT_NOT_FOUND`, `DISCORD_50035`). Only the API
/// maps a code to an HTTP status. It lives in IPC, the lowest module that the worker, the fleet,
/// the control protocol, the store, the jobs and the API all import.
///
/// Unknown codes decode as themselves (a newer worker may send one), so the set is open; the
/// constants below are the ones botvisor itself produces, and the README lists them.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    // MARK: Requests (API and control socket)

    /// No such route.
    public static let notFound: ErrorCode = "NOT_FOUND"
    /// The route exists with other methods.
    public static let methodNotAllowed: ErrorCode = "METHOD_NOT_ALLOWED"
    /// The request is malformed (an unparsable control line, an HTTP request the server refuses).
    public static let badRequest: ErrorCode = "BAD_REQUEST"
    /// The request is larger than allowed.
    public static let requestTooLarge: ErrorCode = "REQUEST_TOO_LARGE"
    /// The body is not the JSON the route expects.
    public static let invalidJSON: ErrorCode = "INVALID_JSON"
    /// One or more fields are invalid; `fields` says which and why.
    public static let validationFailed: ErrorCode = "VALIDATION_FAILED"
    /// A query parameter is malformed, out of range or unknown.
    public static let invalidParameter: ErrorCode = "INVALID_PARAMETER"
    /// A pagination cursor this API did not return.
    public static let invalidCursor: ErrorCode = "INVALID_CURSOR"
    /// A full-text query SQLite's FTS5 refuses.
    public static let invalidQuery: ErrorCode = "INVALID_QUERY"
    public static let invalidIdempotencyKey: ErrorCode = "INVALID_IDEMPOTENCY_KEY"
    public static let idempotencyKeyReused: ErrorCode = "IDEMPOTENCY_KEY_REUSED"
    /// A request body that is not `application/json` (a cross-site form or `text/plain` POST).
    public static let unsupportedMediaType: ErrorCode = "UNSUPPORTED_MEDIA_TYPE"
    /// The `Host` header names a host this server does not answer for (`[http] allowed_hosts`; DNS rebinding).
    public static let misdirectedRequest: ErrorCode = "MISDIRECTED_REQUEST"
    /// A state-changing request from a browser page whose `Origin` is neither this server nor in `[http] cors_origins`.
    public static let originNotAllowed: ErrorCode = "ORIGIN_NOT_ALLOWED"
    /// The audit log's hash chain is broken (`botvisorctl audit verify` names the first row).
    public static let auditChainBroken: ErrorCode = "AUDIT_CHAIN_BROKEN"
    /// An unknown control command.
    public static let unknownCommand: ErrorCode = "UNKNOWN_COMMAND"
    /// botvisord failed; the log line with the same request id says why.
    public static let `internal`: ErrorCode = "INTERNAL"

    // MARK: Authentication and authorization (HTTP API)

    /// No bearer token on a route that needs one (401 with `WWW-Authenticate: Bearer`).
    public static let authRequired: ErrorCode = "AUTH_REQUIRED"
    /// The bearer token is not one botvisor accepts: malformed, wrong algorithm or key, bad signature,
    /// revoked, or its account is disabled or gone (401).
    public static let tokenInvalid: ErrorCode = "TOKEN_INVALID"
    /// The bearer or refresh token has expired (401).
    public static let tokenExpired: ErrorCode = "TOKEN_EXPIRED"
    /// Authenticated, but the route needs a higher role; the message names it (403).
    public static let forbidden: ErrorCode = "FORBIDDEN"
    /// A refresh token was presented a second time: its whole family is revoked (401).
    public static let refreshReused: ErrorCode = "REFRESH_REUSED"
    /// Wrong account name or password (401); which of the two is never said.
    public static let loginFailed: ErrorCode = "LOGIN_FAILED"
    /// Too many failed logins for the account or the client address (429 with `Retry-After`).
    public static let loginLocked: ErrorCode = "LOGIN_LOCKED"
    public static let userNotFound: ErrorCode = "USER_NOT_FOUND"
    public static let userExists: ErrorCode = "USER_EXISTS"
    /// Deleting, disabling or demoting the last enabled admin account is refused (409): nobody could
    /// manage accounts over HTTP afterwards.
    public static let lastAdmin: ErrorCode = "LAST_ADMIN"
    /// No API token with that id.
    public static let apiTokenNotFound: ErrorCode = "API_TOKEN_NOT_FOUND"

    // MARK: Bots and the fleet

    public static let botNotFound: ErrorCode = "BOT_NOT_FOUND"
    public static let botExists: ErrorCode = "BOT_EXISTS"
    public static let botRequired: ErrorCode = "BOT_REQUIRED"
    public static let botNotRunning: ErrorCode = "BOT_NOT_RUNNING"
    public static let invalidName: ErrorCode = "INVALID_NAME"
    public static let tokenRequired: ErrorCode = "TOKEN_REQUIRED"
    /// Discord rejected the bot's token (close code 4004); the bot stays `auth_failed`.
    public static let authFailed: ErrorCode = "AUTH_FAILED"
    /// Discord rejected the bot's intents or shard settings; the bot stays `config_failed`.
    public static let configFailed: ErrorCode = "CONFIG_FAILED"
    /// The worker kept crashing; its restart budget is spent.
    public static let crashLoop: ErrorCode = "CRASH_LOOP"
    /// The worker cannot be spawned (its executable is missing, say); the bot retries with backoff.
    public static let spawnFailed: ErrorCode = "SPAWN_FAILED"
    public static let stopped: ErrorCode = "STOPPED"
    /// Something did not finish in time (a bot did not become ready, a command was not answered).
    public static let timeout: ErrorCode = "TIMEOUT"
    public static let notReady: ErrorCode = "NOT_READY"
    public static let noConfigFile: ErrorCode = "NO_CONFIG_FILE"
    public static let configInvalid: ErrorCode = "CONFIG_INVALID"
    public static let controlClosed: ErrorCode = "CONTROL_CLOSED"

    // MARK: The live feed

    /// `GET /api/v1/events` was asked for neither a WebSocket upgrade nor `text/event-stream`.
    public static let upgradeRequired: ErrorCode = "UPGRADE_REQUIRED"
    /// `[http] max_event_clients` clients are following the feed already.
    public static let tooManyEventClients: ErrorCode = "TOO_MANY_EVENT_CLIENTS"
    /// The caller's role may not follow that topic (`audit` is for admins).
    public static let topicForbidden: ErrorCode = "TOPIC_FORBIDDEN"

    // MARK: Jobs

    public static let jobNotFound: ErrorCode = "JOB_NOT_FOUND"
    public static let jobFinished: ErrorCode = "JOB_FINISHED"
    public static let jobCancelled: ErrorCode = "JOB_CANCELLED"
    /// The work stopped before it finished: botvisord stopped before a job item ran, or the worker died
    /// before a command finished.
    public static let interrupted: ErrorCode = "INTERRUPTED"

    // MARK: Stock (catalogs, products, displays)

    public static let catalogNotFound: ErrorCode = "CATALOG_NOT_FOUND"
    public static let productNotFound: ErrorCode = "PRODUCT_NOT_FOUND"
    public static let productExists: ErrorCode = "PRODUCT_EXISTS"
    public static let displayNotFound: ErrorCode = "DISPLAY_NOT_FOUND"
    /// `If-Match` named a version that is no longer current (someone else changed it first).
    public static let versionMismatch: ErrorCode = "VERSION_MISMATCH"

    // MARK: Commands (command records)

    /// A user exceeded the bot's per-user command limit; an API client exceeded its `[limits]` (429).
    public static let rateLimited: ErrorCode = "RATE_LIMITED"
    /// A worker could not send a message and gave no reason.
    public static let sendFailed: ErrorCode = "SEND_FAILED"

    // MARK: Discord

    /// Discord answered with its own error code `n` (`DISCORD_50035` for Invalid Form Body, `DISCORD_50013`
    /// for Missing Permissions; https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
    public static func discord(_ n: Int) -> ErrorCode { ErrorCode("DISCORD_\(n)") }
    /// Discord answered an HTTP error status without a JSON error code.
    public static func discordHTTP(_ status: Int) -> ErrorCode { ErrorCode("DISCORD_HTTP_\(status)") }
    /// Discord could not be reached (connect, TLS or read failure).
    public static let discordUnreachable: ErrorCode = "DISCORD_UNREACHABLE"
    public static let discordRateLimited: ErrorCode = "DISCORD_RATE_LIMITED"
    public static let discordError: ErrorCode = "DISCORD_ERROR"
    public static let discordBadResponse: ErrorCode = "DISCORD_BAD_RESPONSE"
    /// Discord answered 401 to the token check.
    public static let tokenRejected: ErrorCode = "TOKEN_REJECTED"

    /// The code as stored before one vocabulary existed, read into today's spelling: command records
    /// wrote `E_TIMEOUT`, `E_DISCORD_50035`, `E_TRANSPORT`; job items wrote names for four Discord codes.
    public static func migrating(_ old: String) -> ErrorCode {
        let bare = old.hasPrefix("E_") ? String(old.dropFirst(2)) : old
        switch bare {
        case "TRANSPORT": return .discordUnreachable
        case "UNKNOWN_CHANNEL": return .discord(10003)
        case "MISSING_ACCESS": return .discord(50001)
        case "MISSING_PERMISSIONS": return .discord(50013)
        case "INVALID_FORM_BODY": return .discord(50035)
        default: return ErrorCode(bare)
        }
    }
}
