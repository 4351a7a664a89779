#if canImport(Glibc)
import Glibc
#endif
import Fleet
import HTTP
import IPC
import JSON
import Operations
import Storage
import Store

/// `GET /api/v1/monitoring/health` as JSON: `ok`, `degraded` or `down`, and why.
package struct HealthReport: Codable, Sendable, Equatable {
    package struct Bot: Codable, Sendable, Equatable {
        package var name: String
        package var state: WorkerState
        package var enabled: Bool
        package var gateway_connected: Bool
        package var heartbeat_rtt_ms: Double?
        package var last_dispatch_age_ms: Double?
        package var restarts_in_window: Int
        package var restarts: Int
        package var uptime_seconds: Double?
        package var reason: String?
        package init(name: String, state: WorkerState, enabled: Bool, gateway_connected: Bool, heartbeat_rtt_ms: Double? = nil, last_dispatch_age_ms: Double? = nil, restarts_in_window: Int, restarts: Int, uptime_seconds: Double? = nil, reason: String? = nil) {
            self.name = name
            self.state = state
            self.enabled = enabled
            self.gateway_connected = gateway_connected
            self.heartbeat_rtt_ms = heartbeat_rtt_ms
            self.last_dispatch_age_ms = last_dispatch_age_ms
            self.restarts_in_window = restarts_in_window
            self.restarts = restarts
            self.uptime_seconds = uptime_seconds
            self.reason = reason
        }
    }
    package struct Database: Codable, Sendable, Equatable {
        package var writable: Bool
        package var error: String?
        package var size_bytes: Int
        package init(writable: Bool, error: String? = nil, size_bytes: Int) {
            self.writable = writable
            self.error = error
            self.size_bytes = size_bytes
        }
    }
    package struct Component: Codable, Sendable, Equatable {
        package var healthy: Bool
        package init(healthy: Bool) {
            self.healthy = healthy
        }
    }
    package var status: String
    package var uptime_seconds: Double
    package var database: Database
    package var ipc: Component
    package var http: Component
    package var bots: [Bot]
    /// Discord's invalid-request budget (401/403/429 in 10 minutes, shared by every bot on the host).
    package struct InvalidRequests: Codable, Sendable, Equatable {
        package var used: Int
        package var budget: Int
        /// `ok`, `warning` (half spent) or `pausing` (80% spent: the bots that spend it are paused).
        package var level: String
        /// Bots whose REST calls wait until their invalid requests age out.
        package var paused_bots: [String]
        package init(_ status: InvalidRequestStatus) {
            used = status.used
            budget = status.budget
            level = status.level.rawValue
            paused_bots = status.pausedBots
        }
    }
    package var discord_invalid_requests: InvalidRequests?

    /// `down` when botvisord cannot do its job: the database refuses writes, the IPC socket
    /// is gone, or bots are enabled and none is ready. `degraded` when some enabled bot is
    /// not ready. `ok` otherwise, also with no bots at all.
    package static func overall(database: Bool, ipc: Bool, http: Bool, bots: [Bot]) -> String {
        let wanted = bots.filter(\.enabled)
        let ready = wanted.filter { $0.state == .ready }.count
        if !database || !ipc || !http || (!wanted.isEmpty && ready == 0) { return "down" }
        return ready == wanted.count ? "ok" : "degraded"
    }

    /// A paused bot answers nothing that needs Discord's REST API: the host is degraded, and says why.
    package static func overall(_ status: String, invalidRequests: InvalidRequestStatus) -> String {
        status == "ok" && !invalidRequests.pausedBots.isEmpty ? "degraded" : status
    }
    package init(status: String, uptime_seconds: Double, database: Database, ipc: Component, http: Component, bots: [Bot]) {
        self.status = status
        self.uptime_seconds = uptime_seconds
        self.database = database
        self.ipc = ipc
        self.http = http
        self.bots = bots
    }
}

/// `GET /api/v1/monitoring/metrics` as JSON: botvisord's own figures and each bot's over a window.
package struct MetricsSummary: Codable, Sendable {
    package struct System: Codable, Sendable {
        package var cpu_percent: Double?
        package var rss_bytes: Int?
        package var uptime_seconds: Double
        package var db_bytes: Int
        package var ingest_per_second: Double?
        package init(cpu_percent: Double? = nil, rss_bytes: Int? = nil, uptime_seconds: Double, db_bytes: Int, ingest_per_second: Double? = nil) {
            self.cpu_percent = cpu_percent
            self.rss_bytes = rss_bytes
            self.uptime_seconds = uptime_seconds
            self.db_bytes = db_bytes
            self.ingest_per_second = ingest_per_second
        }
    }
    package struct Bot: Codable, Sendable {
        package var state: WorkerState
        package var cpu_percent: Double?
        package var rss_bytes: Int?
        package var uptime_seconds: Double?
        package var gateway_rtt_ms: Double?
        package var events_per_second: Double?
        package var commands: Int
        package var commands_per_minute: Double
        package var errors: Int
        package var error_rate: Double
        package var p50_ms: Double
        package var p95_ms: Double
        package var p99_ms: Double
        package var rest_calls: Int
        package var rest_429: Int
        package var reconnects: Int
        package var resumes: Int
        package var identifies: Int
        package init(state: WorkerState, cpu_percent: Double? = nil, rss_bytes: Int? = nil, uptime_seconds: Double? = nil, gateway_rtt_ms: Double? = nil, events_per_second: Double? = nil, commands: Int, commands_per_minute: Double, errors: Int, error_rate: Double, p50_ms: Double, p95_ms: Double, p99_ms: Double, rest_calls: Int, rest_429: Int, reconnects: Int, resumes: Int, identifies: Int) {
            self.state = state
            self.cpu_percent = cpu_percent
            self.rss_bytes = rss_bytes
            self.uptime_seconds = uptime_seconds
            self.gateway_rtt_ms = gateway_rtt_ms
            self.events_per_second = events_per_second
            self.commands = commands
            self.commands_per_minute = commands_per_minute
            self.errors = errors
            self.error_rate = error_rate
            self.p50_ms = p50_ms
            self.p95_ms = p95_ms
            self.p99_ms = p99_ms
            self.rest_calls = rest_calls
            self.rest_429 = rest_429
            self.reconnects = reconnects
            self.resumes = resumes
            self.identifies = identifies
        }
    }
    package var window_seconds: Int
    package var generated_at: Int64
    package var system: System
    package var bots: [String: Bot]
    package init(window_seconds: Int, generated_at: Int64, system: System, bots: [String: Bot]) {
        self.window_seconds = window_seconds
        self.generated_at = generated_at
        self.system = system
        self.bots = bots
    }
}

/// One metric over time, for `GET /api/v1/monitoring/metrics/series`.
package struct MetricSeries: Codable, Sendable {
    package struct Point: Codable, Sendable, Equatable {
        package var ts: Int64
        package var value: Double
        package init(ts: Int64, value: Double) {
            self.ts = ts
            self.value = value
        }
    }
    package var bot: String
    package var metric: String
    /// How much time each point stands for.
    package var resolution_seconds: Double
    package var from: Int64
    package var to: Int64
    package var points: [Point]
    package init(bot: String, metric: String, resolution_seconds: Double, from: Int64, to: Int64, points: [Point]) {
        self.bot = bot
        self.metric = metric
        self.resolution_seconds = resolution_seconds
        self.from = from
        self.to = to
        self.points = points
    }
}

/// The monitoring routes: health, a metrics summary over a window, and metric series.
package enum MonitoringAPI {
    package static func register(on router: inout Router, fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) {
        // Health and metrics responses; emptied whenever the recorder stores new samples.
        let cache = MonitoringCache()
        recorder.onSamplesStored { await cache.invalidate() }
        router.get("/api/v1/monitoring/health") { request, _ in
            try APIQuery.check(request, allows: [])
            return await cache.response(for: "health") { await health(fleet: fleet, store: store, recorder: recorder) }
        }
        // `bot` is a filter, as on /logs: a name with no bot behind it selects nothing (command logs
        // and samples outlive a removed bot), it is not a 404. Paths that name a bot 404 instead.
        router.get("/api/v1/monitoring/metrics") { request, _ in
            try APIQuery.check(request, allows: ["window", "bot"])
            let window = try parseWindow(APIRouter.query(request, "window"))
            let bot = APIRouter.query(request, "bot")
            let key = "metrics?window=\(window.components.seconds)&bot=\(bot ?? "")"
            return try await cache.response(for: key) {
                .json(try await summary(window: window, bot: bot, fleet: fleet, store: store, recorder: recorder))
            }
        }
        router.get("/api/v1/monitoring/metrics/series") { request, _ in
            try APIQuery.check(request, allows: ["bot", "metric", "from", "to"])
            return .json(try await series(request, fleet: fleet, store: store, recorder: recorder))
        }
    }

    /// `window`: a duration from 1m to 366d, 1h when absent.
    package static func parseWindow(_ text: String?) throws -> Duration { try APIQuery.window(text) }

    /// The tier whose samples cover data `age` old: raw samples for a day, minute averages for a week, then hours.
    package static func tier(forAge age: Int64, retention: SupervisorStore.MetricRetention) -> MetricTier {
        if age <= retention.raw.milliseconds { return .raw }
        if age <= retention.minute.milliseconds { return .minute }
        return .hour
    }

    package static func health(fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) async -> HTTPResponse {
        var bots: [HealthReport.Bot] = []
        for status in (try? await fleet.statuses()) ?? [] {
            let age = await (try? fleet.supervisor(named: status.name))?.lastDispatchAgeMillis()
            bots.append(HealthReport.Bot(name: status.name, state: status.state, enabled: status.enabled,
                                         gateway_connected: status.state == .ready, heartbeat_rtt_ms: status.gatewayRTTMillis,
                                         last_dispatch_age_ms: age, restarts_in_window: status.restartsInWindow,
                                         restarts: status.restarts, uptime_seconds: status.uptimeSeconds, reason: status.reason))
        }
        let probe = await store.probeWritable(now: recorder.clock())
        var probeError: String?
        if case .failure(let error) = probe { probeError = "\(error)" }
        let ipc = await recorder.isHealthy("ipc"), http = await recorder.isHealthy("http")
        let invalid = await fleet.invalidRequests
        let overall = HealthReport.overall(HealthReport.overall(database: probeError == nil, ipc: ipc, http: http, bots: bots),
                                           invalidRequests: invalid)
        var report = HealthReport(status: overall, uptime_seconds: (ContinuousClock.now - recorder.startedAt).seconds,
                                  database: .init(writable: probeError == nil, error: probeError, size_bytes: store.databaseBytes),
                                  ipc: .init(healthy: ipc), http: .init(healthy: http), bots: bots)
        report.discord_invalid_requests = .init(invalid)
        return .json(report, status: overall == "down" ? .serviceUnavailable : .ok)
    }

    package static func summary(window: Duration, bot: String?, fleet: Fleet, store: SupervisorStore,
                                recorder: MetricsRecorder) async throws -> MetricsSummary {
        let seconds = Int(window.components.seconds)
        let now = recorder.clock()
        let since = now - Int64(seconds) * 1000
        do {
            let aggregates = try await store.aggregates(since: since, tier: tier(forAge: now - since, retention: recorder.settings.retention))
            let stats = try await store.stats(since: since * 1000, windowSeconds: seconds)
            let system = aggregates[SupervisorStore.systemBot] ?? [:]
            var bots: [String: MetricsSummary.Bot] = [:]
            let names = await fleet.names
            let selected: [String]? = bot.map { names.contains($0) ? [$0] : [] }
            for status in try await fleet.statuses(selected) {
                let a = aggregates[status.name] ?? [:]
                let s = stats.bots[status.name]
                func total(_ metric: String) -> Int { Int((a[metric]?.total ?? 0).rounded()) }
                bots[status.name] = MetricsSummary.Bot(
                    state: status.state, cpu_percent: a["cpu_percent"]?.mean, rss_bytes: status.memoryBytes,
                    uptime_seconds: status.uptimeSeconds, gateway_rtt_ms: a["gateway_rtt_ms"]?.mean ?? status.gatewayRTTMillis,
                    events_per_second: a["events_per_second"]?.mean, commands: s?.count ?? 0,
                    commands_per_minute: Double(s?.count ?? 0) / (Double(seconds) / 60), errors: s?.errors ?? 0,
                    error_rate: s?.error_rate ?? 0, p50_ms: s?.p50_ms ?? 0, p95_ms: s?.p95_ms ?? 0, p99_ms: s?.p99_ms ?? 0,
                    rest_calls: total("rest_calls_per_second"), rest_429: total("rest_429_per_second"),
                    reconnects: total("reconnects_per_second"), resumes: total("resumes_per_second"),
                    identifies: total("identifies_per_second"))
            }
            let summary = MetricsSummary(
                window_seconds: seconds, generated_at: now,
                system: .init(cpu_percent: system["cpu_percent"]?.mean, rss_bytes: ProcessSampler.residentBytes(pid: getpid()),
                              uptime_seconds: (ContinuousClock.now - recorder.startedAt).seconds, db_bytes: store.databaseBytes,
                              ingest_per_second: system["ingest_per_second"]?.mean),
                bots: bots)
            return summary
        }
    }

    package static func series(_ request: HTTPRequest, fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) async throws -> MetricSeries {
        let bot = APIRouter.query(request, "bot") ?? SupervisorStore.systemBot
        // Any metric either kind of series has; one this bot does not record selects nothing (like an unknown bot).
        let known = MetricsRecorder.botMetrics + MetricsRecorder.systemMetrics.filter { !MetricsRecorder.botMetrics.contains($0) }
        guard let metric = APIRouter.query(request, "metric"), known.contains(metric) else {
            throw APIError.parameter("metric must be one of \(known.joined(separator: ", "))")
        }
        func integer(_ name: String) throws -> Int64? {
            guard let text = request.query(name) else { return nil }
            guard let n = Int64(text), n >= 0, n <= 10_000_000_000_000 else {
                throw APIError.parameter("\(name) must be Unix milliseconds from 0 to 10000000000000")
            }
            return n
        }
        let now = recorder.clock()
        let to = try integer("to") ?? now
        let from = try integer("from") ?? (to - 3_600_000)
        // `from` after `to` selects nothing, as an empty time range does in the log filters.
        guard from <= to else {
            return MetricSeries(bot: bot, metric: metric, resolution_seconds: Double(recorder.settings.sampleInterval.milliseconds) / 1000,
                                from: from, to: to, points: [])
        }
        let tier = tier(forAge: now - from, retention: recorder.settings.retention)
        let samples = try await store.series(bot: bot, metric: metric, tier: tier, from: from, to: to)
        let resolution: Int64 = switch tier {
        case .raw: recorder.settings.sampleInterval.milliseconds
        case .minute: MetricTier.minuteMillis
        case .hour: MetricTier.hourMillis
        }
        return MetricSeries(bot: bot, metric: metric, resolution_seconds: Double(resolution) / 1000, from: from, to: to,
                            points: samples.map { .init(ts: $0.timestamp, value: $0.value) })
    }
}
