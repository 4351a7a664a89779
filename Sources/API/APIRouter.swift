import Fleet
import HTTP
import IPC
import JSON
import Logging
import Auth
import Operations
import Storage
import Store

/// The HTTP API: monitoring (`MonitoringAPI`), bot status and command-log search.
package enum APIRouter {
    /// Every route, behind `AuthMiddleware`: there is no router without authentication (tests get an
    /// `Authenticator` and a token from `TestAuth`, the daemon from its state directory).
    package static func make(fleet: Fleet, store: SupervisorStore, authenticator: Authenticator, jobs: JobRunner? = nil,
                     apiBase: String = "https://discord.com/api/v10", client: HTTPClient = HTTPClient(),
                     recorder: MetricsRecorder? = nil, audit: AuditTrail? = nil, limits: RateLimits? = nil,
                     crossSite: CrossSiteMiddleware.Settings? = nil, displays: DisplayEngine? = nil,
                     feed: EventFeed? = nil) -> Router {
        var router = Router()
        router.use(RequestIDMiddleware())
        router.use(ErrorMiddleware(logger: Logger(label: "api")))
        // Outside every check that may refuse a request, so each refusal is audited (see AuditMiddleware).
        if let audit { router.use(AuditMiddleware(audit)) }
        if let crossSite { router.use(CrossSiteMiddleware(crossSite)) }
        if let limits { router.use(RateLimitMiddleware(limits, scope: .address)) }
        // Authentication and roles: after the address limit, before the principal limit.
        router.use(AuthMiddleware(authenticator: authenticator, policy: AccessPolicy(publicMetrics: authenticator.settings.publicMetrics)))
        if let limits { router.use(RateLimitMiddleware(limits, scope: .principal)) }
        AuditAPI.register(on: &router, store: store, limits: limits)
        AuthAPI.register(on: &router, authenticator: authenticator)
        MonitoringAPI.register(on: &router, fleet: fleet, store: store, recorder: recorder ?? MetricsRecorder(fleet: fleet, store: store))
        BotsAPI.register(on: &router, fleet: fleet, apiBase: apiBase, client: client)
        let jobs = jobs ?? JobRunner(store: store, fleet: fleet, logger: Logger(label: "jobs"))
        JobsAPI.register(on: &router, fleet: fleet, jobs: jobs)
        let displays = displays ?? DisplayEngine(store: store, fleet: fleet, logger: Logger(label: "displays"))
        CatalogsAPI.register(on: &router, fleet: fleet, store: store, displays: displays)
        DisplaysAPI.register(on: &router, fleet: fleet, store: store, displays: displays, jobs: jobs)
        EventsAPI.register(on: &router, feed: feed ?? EventFeed())
        Dashboard.register(on: &router)
        let openAPI = OpenAPIDocument.make().bytes
        router.get("/api/v1/openapi.json") { request, _ in
            try APIQuery.check(request, allows: [])
            return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: openAPI)
        }
        router.get("/metrics") { request, _ in
            try APIQuery.check(request, allows: [])
            let (commands, histograms) = try await store.prometheusCommandFigures()
            let daemon = PrometheusExposition.DaemonFigures(process: ProcessSampler.currentProcess(), databaseBytes: store.databaseSizeBytes(),
                                                            now: Double(WallClock.now().seconds))
            let text = PrometheusExposition.render(statuses: (try? await fleet.statuses()) ?? [], commands: commands, histograms: histograms,
                                                   daemon: daemon, invalidRequests: await fleet.invalidRequests)
            return HTTPResponse(headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], bytes: Array(text.utf8))
        }
        router.get("/api/v1/logs") { request, _ in try await logs(request, store: store) { _ in } }
        LogExport.register(on: &router, store: store)
        // Stats over a window are recomputed at most once a second per window: a dashboard polling
        // them costs one query per second, and an answer is never older than that.
        let statsCache = MonitoringCache()
        router.get("/api/v1/logs/stats") { request, _ in
            try APIQuery.check(request, allows: ["window"])
            let seconds = Int(try MonitoringAPI.parseWindow(query(request, "window")).components.seconds)
            return try await statsCache.response(for: String(seconds)) {
                let now = WallClock.now().microseconds
                return .json(try await store.stats(since: now - Int64(seconds) * 1_000_000, windowSeconds: seconds))
            }
        }
        router.get("/api/v1/logs/recent") { request, _ in try await logs(request, store: store) { _ in } }
        router.get("/api/v1/logs/failed") { request, _ in try await logs(request, store: store) { $0.failedOnly = true } }
        router.get("/api/v1/logs/user/{user_id}") { request, _ in
            try await logs(request, store: store) { $0.user = request.pathParameters["user_id"] }
        }
        return router
    }

    /// The page's shape; `LogPageJSON` writes it (a test checks the two agree byte for byte).
    package struct Page: Encodable {
        package var logs: [LogRecord]
        package var next_cursor: String?
        package init(logs: [CommandRecord], next_cursor: String? = nil) {
            self.logs = logs.map(LogRecord.init)
            self.next_cursor = next_cursor
        }
    }

    /// The filters `GET /api/v1/logs` and its variants take.
    package static let logParameters = ["bot", "guild", "channel", "user", "command", "outcome", "q", "from", "to",
                                        "min_duration_ms", "limit", "cursor"]

    package static func logs(_ request: HTTPRequest, store: SupervisorStore, adjust: (inout LogQuery) -> Void) async throws -> HTTPResponse {
        try APIQuery.check(request, allows: logParameters)
        var query = try parse(request)
        adjust(&query)
        return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: LogPageJSON.encode(try await search(query, request: request, store: store)))
    }

    /// Runs a search; FTS5's refusal of a `q` is the client's mistake (400), not the server's.
    package static func search(_ query: LogQuery, request: HTTPRequest, store: SupervisorStore) async throws -> LogPage {
        do {
            return try await store.search(query)
        } catch let error as DatabaseError where error.resultCode == .error && query.text != nil {
            // FTS5 refused the syntax (`foo-bar`, `"open`, a lone `AND`): search the text as one phrase
            // instead, as a search box would (https://www.sqlite.org/fts5.html §3.2: a phrase in double quotes).
            var literal = query
            literal.text = "\"" + (query.text ?? "").split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
            do {
                return try await store.search(literal)
            } catch let again as DatabaseError where again.resultCode == .error {
                throw APIError(.badRequest, .invalidQuery, "invalid full-text query: \(error.message)")
            }
        }
    }

    package static func query(_ request: HTTPRequest, _ name: String) -> String? { APIQuery.value(request, name) }

    /// Reads the filters; a malformed value is a 400 naming the parameter.
    package static func parse(_ request: HTTPRequest) throws -> LogQuery {
        var q = LogQuery()
        q.bot = query(request, "bot")
        q.guild = query(request, "guild")
        q.channel = query(request, "channel")
        q.user = query(request, "user")
        q.command = query(request, "command")
        q.text = query(request, "q")
        if let outcome = query(request, "outcome") {
            guard let typed = CommandOutcome(rawValue: outcome) else {
                let names = CommandOutcome.allCases.map(\.rawValue)
                throw APIError.parameter("outcome must be \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
            }
            q.outcome = typed
        }
        // Bounded so that milliseconds to microseconds never overflow (10^13 ms is the year 2286).
        func integer(_ name: String, max: Int64 = 10_000_000_000_000) throws -> Int64? {
            // Present but empty is not "absent" for a number: the document says integer, and so does the server.
            guard let text = request.query(name) else { return nil }
            guard let n = Int64(text), n >= 0, n <= max else {
                throw APIError.parameter("\(name) must be an integer from 0 to \(max)")
            }
            return n
        }
        // from/to are Unix milliseconds on the wire; stored times are microseconds.
        q.from = try integer("from").map { $0 * 1000 }
        q.to = try integer("to").map { $0 * 1000 + 999 }
        q.minimumDurationMicros = try integer("min_duration_ms").map { $0 * 1000 }
        q.limit = try APIQuery.limit(request, default: q.limit)
        if let token = query(request, "cursor") {
            guard APIQuery.isCursor(token), let cursor = LogQuery.Cursor(token: token) else { throw APIError(.badRequest, .invalidCursor, "cursor is not one this API returned") }
            q.cursor = cursor
        }
        return q
    }
}
