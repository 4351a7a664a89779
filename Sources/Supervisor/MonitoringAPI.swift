#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import HTTP
import Storage

/// `GET /api/v1/monitoring/health` as JSON: `ok`, `degraded` or `down`, and why.
struct HealthReport: Codable, Sendable, Equatable {
    struct Bot: Codable, Sendable, Equatable {
        var name: String
        var state: WorkerState
        var enabled: Bool
        var gateway_connected: Bool
        var heartbeat_rtt_ms: Double?
        var last_dispatch_age_ms: Double?
        var restarts_in_window: Int
        var restarts: Int
        var uptime_seconds: Double?
        var reason: String?
    }
    struct Database: Codable, Sendable, Equatable {
        var writable: Bool
        var error: String?
        var size_bytes: Int
    }
    struct Component: Codable, Sendable, Equatable {
        var healthy: Bool
    }
    var status: String
    var uptime_seconds: Double
    var database: Database
    var ipc: Component
    var http: Component
    var bots: [Bot]

    /// `down` when botvisord cannot do its job: the database refuses writes, the IPC socket
    /// is gone, or bots are enabled and none is ready. `degraded` when some enabled bot is
    /// not ready. `ok` otherwise, also with no bots at all.
    static func overall(database: Bool, ipc: Bool, http: Bool, bots: [Bot]) -> String {
        let wanted = bots.filter(\.enabled)
        let ready = wanted.filter { $0.state == .ready }.count
        if !database || !ipc || !http || (!wanted.isEmpty && ready == 0) { return "down" }
        return ready == wanted.count ? "ok" : "degraded"
    }
}

/// `GET /api/v1/monitoring/metrics` as JSON: botvisord's own figures and each bot's over a window.
struct MetricsSummary: Codable, Sendable {
    struct System: Codable, Sendable {
        var cpu_percent: Double?
        var rss_bytes: Int?
        var uptime_seconds: Double
        var db_bytes: Int
        var ingest_per_second: Double?
    }
    struct Bot: Codable, Sendable {
        var state: WorkerState
        var cpu_percent: Double?
        var rss_bytes: Int?
        var uptime_seconds: Double?
        var gateway_rtt_ms: Double?
        var events_per_second: Double?
        var commands: Int
        var commands_per_minute: Double
        var errors: Int
        var error_rate: Double
        var p50_ms: Double
        var p95_ms: Double
        var p99_ms: Double
        var rest_calls: Int
        var rest_429: Int
        var reconnects: Int
        var resumes: Int
        var identifies: Int
    }
    var window_seconds: Int
    var generated_at: Int64
    var system: System
    var bots: [String: Bot]
}

/// One metric over time, for `GET /api/v1/monitoring/metrics/series`.
struct MetricSeries: Codable, Sendable {
    struct Point: Codable, Sendable, Equatable {
        var ts: Int64
        var value: Double
    }
    var bot: String
    var metric: String
    /// How much time each point stands for.
    var resolution_seconds: Double
    var from: Int64
    var to: Int64
    var points: [Point]
}

/// The monitoring routes: health, a metrics summary over a window, and metric series.
enum MonitoringAPI {
    static func register(on router: inout Router, fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) {
        // Health and metrics responses; emptied whenever the recorder stores new samples.
        let cache = MonitoringCache()
        recorder.onSamplesStored { await cache.invalidate() }
        router.get("/api/v1/monitoring/health") { _ in
            await cache.response(for: "health") { await health(fleet: fleet, store: store, recorder: recorder) }
        }
        router.get("/api/v1/monitoring/metrics") { request in
            do {
                let window = try parseWindow(APIRouter.query(request, "window"))
                let bot = APIRouter.query(request, "bot")
                if let bot, bot != SupervisorStore.systemBot, await !fleet.names.contains(bot) {
                    throw APIError(.notFound, "BOT_NOT_FOUND", "no bot named \(bot)")
                }
                let key = "metrics?window=\(window.components.seconds)&bot=\(bot ?? "")"
                return await cache.response(for: key) {
                    await summary(window: window, bot: bot, fleet: fleet, store: store, recorder: recorder, request: request)
                }
            } catch let error as APIError {
                return error.response(for: request)
            } catch {
                return APIError(.internalServerError, "INTERNAL", "metrics unavailable").response(for: request)
            }
        }
        router.get("/api/v1/monitoring/metrics/series") { request in
            do {
                return .json(try await series(request, fleet: fleet, store: store, recorder: recorder))
            } catch let error as APIError {
                return error.response(for: request)
            } catch {
                return APIError(.internalServerError, "INTERNAL", "series unavailable").response(for: request)
            }
        }
    }

    /// `window`: a duration from 1m to 366d, 1h when absent.
    static func parseWindow(_ text: String?) throws -> Duration {
        guard let text else { return .seconds(3600) }
        guard let window = try? Duration.parse(text), window >= .seconds(60), window <= .seconds(366 * 86_400) else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "window must be a duration from 1m to 366d, such as 5m, 1h or 24h")
        }
        return window
    }

    /// The tier whose samples cover data `age` old: raw samples for a day, minute averages for a week, then hours.
    static func tier(forAge age: Int64, retention: SupervisorStore.MetricRetention) -> MetricTier {
        if age <= retention.raw.milliseconds { return .raw }
        if age <= retention.minute.milliseconds { return .minute }
        return .hour
    }

    static func health(fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) async -> HTTPResponse {
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
        let overall = HealthReport.overall(database: probeError == nil, ipc: ipc, http: http, bots: bots)
        let report = HealthReport(status: overall, uptime_seconds: (ContinuousClock.now - recorder.startedAt).seconds,
                                  database: .init(writable: probeError == nil, error: probeError, size_bytes: store.databaseBytes),
                                  ipc: .init(healthy: ipc), http: .init(healthy: http), bots: bots)
        return .json(report, status: overall == "down" ? .serviceUnavailable : .ok)
    }

    static func summary(window: Duration, bot: String?, fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder,
                        request: HTTPRequest) async -> HTTPResponse {
        let seconds = Int(window.components.seconds)
        let now = recorder.clock()
        let since = now - Int64(seconds) * 1000
        do {
            let aggregates = try await store.aggregates(since: since, tier: tier(forAge: now - since, retention: recorder.settings.retention))
            let stats = try await store.stats(since: since * 1000, windowSeconds: seconds)
            let system = aggregates[SupervisorStore.systemBot] ?? [:]
            var bots: [String: MetricsSummary.Bot] = [:]
            for status in try await fleet.statuses(bot.flatMap { $0 == SupervisorStore.systemBot ? [] : [$0] }) {
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
            return .json(summary)
        } catch {
            return APIError(.internalServerError, "INTERNAL", "metrics unavailable").response(for: request)
        }
    }

    static func series(_ request: HTTPRequest, fleet: Fleet, store: SupervisorStore, recorder: MetricsRecorder) async throws -> MetricSeries {
        let bot = APIRouter.query(request, "bot") ?? SupervisorStore.systemBot
        let known = bot == SupervisorStore.systemBot ? MetricsRecorder.systemMetrics : MetricsRecorder.botMetrics
        if bot != SupervisorStore.systemBot, await !fleet.names.contains(bot) {
            throw APIError(.notFound, "BOT_NOT_FOUND", "no bot named \(bot)")
        }
        guard let metric = APIRouter.query(request, "metric"), known.contains(metric) else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "metric must be one of \(known.joined(separator: ", "))"
                           + (bot == SupervisorStore.systemBot ? " (for _system)" : ""))
        }
        func integer(_ name: String) throws -> Int64? {
            guard let text = APIRouter.query(request, name) else { return nil }
            guard let n = Int64(text), n >= 0 else { throw APIError(.badRequest, "INVALID_PARAMETER", "\(name) must be Unix milliseconds") }
            return n
        }
        let now = recorder.clock()
        let to = try integer("to") ?? now
        let from = try integer("from") ?? (to - 3_600_000)
        guard from <= to else { throw APIError(.badRequest, "INVALID_PARAMETER", "from must not be after to") }
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
