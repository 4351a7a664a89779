import FoundationEssentials
import HTTP
import IPC
import Logging
import Storage

/// An API failure with a stable code, rendered as
/// `{"error":{"code","message","request_id","fields"?}}`; `fields` lists
/// each failing field of a 422 and why.
public struct APIError: Error, Equatable {
    public struct Field: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public init(_ field: String, _ message: String) {
            self.field = field
            self.message = message
        }
    }
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var fields: [Field]

    public init(_ status: HTTPStatus, _ code: String, _ message: String, fields: [Field] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    /// A 422 listing every failing field.
    static func validation(_ fields: [Field]) -> APIError {
        APIError(.unprocessableContent, "VALIDATION_FAILED",
                 fields.count == 1 ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are invalid", fields: fields)
    }

    func response(for request: HTTPRequest) -> HTTPResponse {
        struct Body: Encodable {
            struct Inner: Encodable { var code: String; var message: String; var request_id: String; var fields: [Field]? }
            var error: Inner
        }
        return .json(Body(error: .init(code: code, message: message, request_id: request.context["request_id"] ?? "",
                                       fields: fields.isEmpty ? nil : fields)), status: status)
    }
}

/// Gives every request an id (`X-Request-Id`, taken from the client when it sends a sane one).
struct RequestIDMiddleware: HTTPMiddleware {
    func handle(_ request: HTTPRequest, next: @Sendable (HTTPRequest) async -> HTTPResponse) async -> HTTPResponse {
        var request = request
        let offered = request.headers["X-Request-Id"].flatMap { id in
            id.count <= 64 && id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } ? id : nil
        }
        // One 64-bit draw (one getrandom call) for 16 hex digits, not one call per digit.
        let id = offered ?? RequestIDMiddleware.hex(UInt64.random(in: .min ... .max))
        request.context["request_id"] = id
        var response = await next(request)
        response.headers.set("X-Request-Id", id)
        return response
    }

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<16).map { i in digits[Int((value >> (60 - 4 * UInt64(i))) & 0xf)] }, as: UTF8.self)
    }
}

/// The HTTP API: monitoring (`MonitoringAPI`), bot status and command-log search.
enum APIRouter {
    static func make(fleet: Fleet, store: SupervisorStore, jobs: JobRunner? = nil,
                     apiBase: String = "https://discord.com/api/v10", client: HTTPClient = HTTPClient(),
                     recorder: MetricsRecorder? = nil) -> Router {
        var router = Router()
        router.use(RequestIDMiddleware())
        router.notFound = { request in APIError(.notFound, "NOT_FOUND", "no route for \(request.path)").response(for: request) }
        router.methodNotAllowed = { request, allowed in
            var r = APIError(.methodNotAllowed, "METHOD_NOT_ALLOWED", "use \(allowed.map(\.rawValue).joined(separator: ", "))").response(for: request)
            r.headers.set("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            return r
        }
        MonitoringAPI.register(on: &router, fleet: fleet, store: store, recorder: recorder ?? MetricsRecorder(fleet: fleet, store: store))
        BotsAPI.register(on: &router, fleet: fleet, apiBase: apiBase, client: client)
        JobsAPI.register(on: &router, fleet: fleet, jobs: jobs ?? JobRunner(store: store, fleet: fleet, logger: Logger(label: "jobs")))
        let openAPI = OpenAPIDocument.make().bytes
        router.get("/api/v1/openapi.json") { _ in HTTPResponse(headers: ["Content-Type": "application/json"], bytes: openAPI) }
        router.get("/metrics") { request in
            do {
                let (commands, histograms) = try await store.prometheusCommandFigures()
                let text = PrometheusExposition.render(statuses: (try? await fleet.statuses()) ?? [], commands: commands, histograms: histograms)
                return HTTPResponse(headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], bytes: Array(text.utf8))
            } catch {
                return APIError(.internalServerError, "INTERNAL", "metrics unavailable").response(for: request)
            }
        }
        router.get("/api/v1/logs") { request in await logs(request, store: store) { _ in } }
        LogExport.register(on: &router, store: store)
        // Stats over a window are recomputed at most once a second per window: a dashboard polling
        // them costs one query per second, and an answer is never older than that.
        let statsCache = MonitoringCache()
        router.get("/api/v1/logs/stats") { request in
            let text = query(request, "window") ?? "1h"
            guard let window = try? Configuration.duration(text), window <= .seconds(366 * 86_400) else {
                return APIError(.badRequest, "INVALID_PARAMETER", "window must be a duration such as 5m, 1h or 24h").response(for: request)
            }
            let seconds = Int(window.components.seconds)
            return await statsCache.response(for: String(seconds)) {
                let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
                do {
                    return .json(try await store.stats(since: now - Int64(seconds) * 1_000_000, windowSeconds: seconds))
                } catch {
                    return APIError(.internalServerError, "INTERNAL", "stats unavailable").response(for: request)
                }
            }
        }
        router.get("/api/v1/logs/recent") { request in await logs(request, store: store) { _ in } }
        router.get("/api/v1/logs/failed") { request in await logs(request, store: store) { $0.failedOnly = true } }
        router.get("/api/v1/logs/user/{user_id}") { request in
            await logs(request, store: store) { $0.user = request.pathParameters["user_id"] }
        }
        return router
    }

    /// The page's shape; `LogPageJSON` writes it (a test checks the two agree byte for byte).
    struct Page: Encodable {
        var logs: [CommandRecord]
        var next_cursor: String?
    }

    static func logs(_ request: HTTPRequest, store: SupervisorStore, adjust: (inout LogQuery) -> Void) async -> HTTPResponse {
        do {
            var query = try parse(request)
            adjust(&query)
            let page = try await store.search(query)
            return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: LogPageJSON.encode(page))
        } catch let error as APIError {
            return error.response(for: request)
        } catch let error as DatabaseError where error.resultCode == .error && query(request, "q") != nil {
            return APIError(.badRequest, "INVALID_QUERY", "invalid full-text query: \(error.message)").response(for: request)
        } catch {
            return APIError(.internalServerError, "INTERNAL", "the log search failed").response(for: request)
        }
    }

    static func query(_ request: HTTPRequest, _ name: String) -> String? {
        request.query(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads the filters; a malformed value is a 400 naming the parameter.
    static func parse(_ request: HTTPRequest) throws -> LogQuery {
        var q = LogQuery()
        q.bot = query(request, "bot")
        q.guild = query(request, "guild")
        q.channel = query(request, "channel")
        q.user = query(request, "user")
        q.command = query(request, "command")
        q.outcome = query(request, "outcome")
        q.text = query(request, "q")
        if let outcome = q.outcome, !["ok", "error", "rate_limited", "timeout", "expired", "interrupted"].contains(outcome) {
            throw APIError(.badRequest, "INVALID_PARAMETER", "outcome must be ok, error, rate_limited, timeout, expired or interrupted")
        }
        // Bounded so that milliseconds to microseconds never overflow (10^13 ms is the year 2286).
        func integer(_ name: String, max: Int64 = 10_000_000_000_000) throws -> Int64? {
            guard let text = query(request, name) else { return nil }
            guard let n = Int64(text), n >= 0, n <= max else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "\(name) must be an integer from 0 to \(max)")
            }
            return n
        }
        // from/to are Unix milliseconds on the wire; stored times are microseconds.
        q.from = try integer("from").map { $0 * 1000 }
        q.to = try integer("to").map { $0 * 1000 + 999 }
        q.minimumDurationMicros = try integer("min_duration_ms").map { $0 * 1000 }
        if let limit = try integer("limit") {
            guard limit >= 1 else { throw APIError(.badRequest, "INVALID_PARAMETER", "limit must be at least 1") }
            q.limit = Int(min(limit, Int64(LogQuery.maximumLimit)))
        }
        if let token = query(request, "cursor") {
            guard let cursor = LogQuery.Cursor(token: token) else { throw APIError(.badRequest, "INVALID_CURSOR", "cursor is not one this API returned") }
            q.cursor = cursor
        }
        return q
    }
}

/// A log page as JSON, written by hand. At 50 records `JSONEncoder` (sorted keys, an existential
/// container per field) cost more than the SQLite query behind it; this writes the same bytes as
/// `HTTPJSON.encoder` would for `APIRouter.Page`: keys sorted, nil fields left out, `/` unescaped.
enum LogPageJSON {
    static func encode(_ page: LogPage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + page.records.count * 360)
        append(&out, #"{"logs":["#)
        for (i, r) in page.records.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            record(&out, r)
        }
        out.append(UInt8(ascii: "]"))
        if let next = page.nextCursor {
            append(&out, #","next_cursor":"#)
            string(&out, next)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// One record as a JSON object, as `JSONEncoder` with sorted keys writes it (also the export's NDJSON lines).
    static func record(_ out: inout [UInt8], _ r: CommandRecord) {
        // RFC 8259 does not order keys; these follow `.sortedKeys` so the bytes match JSONEncoder's.
        append(&out, #"{"bot":"#)
        string(&out, r.bot)
        if let v = r.channelID { append(&out, #","channel_id":"#); string(&out, v) }
        append(&out, #","command":"#)
        string(&out, r.command)
        append(&out, #","duration_us":"#)
        append(&out, String(r.durationMicros))
        if let v = r.errorCode { append(&out, #","error_code":"#); string(&out, v) }
        if let v = r.errorMessage { append(&out, #","error_message":"#); string(&out, v) }
        if let v = r.guildID { append(&out, #","guild_id":"#); string(&out, v) }
        append(&out, #","id":"#)
        string(&out, r.id)
        append(&out, #","options":"#)
        string(&out, r.options)
        append(&out, #","outcome":"#)
        string(&out, r.outcome)
        append(&out, #","started_at":"#)
        append(&out, String(r.startedAt))
        append(&out, #","user_id":"#)
        string(&out, r.userID)
        out.append(UInt8(ascii: "}"))
    }

    private static func append(_ out: inout [UInt8], _ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped, UTF-8 passed through.
    static func string(_ out: inout [UInt8], _ value: String) {
        var value = value
        out.append(UInt8(ascii: "\""))
        value.withUTF8 { bytes in
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[start..<i])
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): append(&out, #"\""#)
                case UInt8(ascii: "\\"): append(&out, #"\\"#)
                case 0x08: append(&out, #"\b"#)
                case 0x0c: append(&out, #"\f"#)
                case 0x0a: append(&out, #"\n"#)
                case 0x0d: append(&out, #"\r"#)
                case 0x09: append(&out, #"\t"#)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    append(&out, #"\u00"#)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0xf)])
                }
            }
            out.append(contentsOf: bytes[start...])
        }
        out.append(UInt8(ascii: "\""))
    }
}
