import Fleet
import FoundationEssentials
import HTTP
import IPC
import JSON
import Logging
import Operations
import Storage
import Store

/// The HTTP API: monitoring (`MonitoringAPI`), bot status and command-log search.
package enum APIRouter {
    package static func make(fleet: Fleet, store: SupervisorStore, jobs: JobRunner? = nil,
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
                let daemon = PrometheusExposition.DaemonFigures(process: ProcessSampler.currentProcess(), databaseBytes: store.databaseSizeBytes(),
                                                                now: Double(WallClock.now().seconds))
                let text = PrometheusExposition.render(statuses: (try? await fleet.statuses()) ?? [], commands: commands, histograms: histograms,
                                                       daemon: daemon)
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
            guard let window = try? Duration.parse(text), window <= .seconds(366 * 86_400) else {
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
    package struct Page: Encodable {
        package var logs: [CommandRecord]
        package var next_cursor: String?
        package init(logs: [CommandRecord], next_cursor: String? = nil) {
            self.logs = logs
            self.next_cursor = next_cursor
        }
    }

    package static func logs(_ request: HTTPRequest, store: SupervisorStore, adjust: (inout LogQuery) -> Void) async -> HTTPResponse {
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

    package static func query(_ request: HTTPRequest, _ name: String) -> String? {
        request.query(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads the filters; a malformed value is a 400 naming the parameter.
    package static func parse(_ request: HTTPRequest) throws -> LogQuery {
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
