import Testing
import Foundation
import Glibc
import HTTP
import IOCore
import IPC
import Logging
import Storage
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// Metric samples, downsampling, retention and the monitoring routes, over a real SQLite file
/// with an injected clock; and once through a real daemon with real workers.
@Suite struct MonitoringAPITests {
    /// A fixed "now" near the real time (command records' stats are taken against it), aligned to an hour.
    static let now: Int64 = Int64(Date().timeIntervalSince1970 * 1000) / 3_600_000 * 3_600_000 + 1_800_000

    struct API {
        let router: SignedInRouter
        let store: SupervisorStore
        let fleet: Fleet
        let recorder: MetricsRecorder
        let dir: String

        func get(_ target: String) async -> (status: Int, body: String, headers: HTTPHeaders) {
            let response = await router.respond(to: HTTPRequest(method: .get, target: target))
            guard case .bytes(let body) = response.body else { return (response.status.code, "", response.headers) }
            return (response.status.code, String(decoding: body, as: UTF8.self), response.headers)
        }

        func decode<T: Decodable>(_ type: T.Type, _ target: String) async throws -> T {
            let (status, body, _) = await get(target)
            #expect(status == 200 || status == 503, "\(target): \(status) \(body)")
            return try JSONDecoder().decode(T.self, from: Data(body.utf8))
        }

        /// Adds a bot that is never started: it shows in the fleet, with no worker.
        func addIdleBot(_ name: String, enabled: Bool = false) async throws {
            try await fleet.add(BotDefinition(name: name, token: "tok-\(name)", enabled: enabled))
        }
    }

    func withAPI(settings: MetricsRecorder.Settings = .init(), workerPath: String = "/bin/false",
                 clock: @escaping @Sendable () -> Int64 = { MonitoringAPITests.now }, _ body: (API) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let environment = BotSupervisor.Environment(workerPath: workerPath, ipcSocketPath: "\(dir)/ipc.sock", apiBase: "http://127.0.0.1:1",
                                                        heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(5), stopTimeout: .seconds(1),
                                                        workerEnvironment: [:], records: store, sessions: store)
            let fleet = Fleet(repository: store, environment: environment, restart: .init(), logger: Logger(label: "test"))
            let recorder = MetricsRecorder(fleet: fleet, store: store, settings: settings, logger: Logger(label: "test"), clock: clock)
            try await body(API(router: try await TestAuth.router(fleet: fleet, store: store, dir: dir, recorder: recorder), store: store, fleet: fleet,
                               recorder: recorder, dir: dir))
        }
    }

    func rows(_ store: SupervisorStore, _ sql: String) async throws -> [Row] {
        try await store.queue.read { db in try db.query(sql) }
    }

    // MARK: Downsampling and retention

    @Test func minuteAndHourAveragesAreTheMeanOfTheRawSamples() async throws {
        try await withAPI { api in
            let hour = Self.now / 3_600_000 * 3_600_000 - 2 * 3_600_000
            // Three minutes of 10 s samples with uneven values, for two metrics.
            var samples: [MetricSample] = []
            var expectedMinutes: [Int64: Double] = [:]
            for minute in 0..<3 {
                var values: [Double] = []
                for i in 0..<6 {
                    let value = Double(minute * 100 + i * i) + 0.25
                    values.append(value)
                    let ts = hour + Int64(minute) * 60_000 + Int64(i) * 10_000
                    samples.append(MetricSample(bot: "alpha", metric: "cpu_percent", tier: .raw, timestamp: ts, value: value, spanMillis: 10_000))
                    samples.append(MetricSample(bot: "alpha", metric: "rss_bytes", tier: .raw, timestamp: ts, value: 1000, spanMillis: 10_000))
                }
                expectedMinutes[hour + Int64(minute) * 60_000] = values.reduce(0, +) / Double(values.count)
            }
            try await api.store.store(samples: samples)
            // Small batches walk the buckets in several transactions.
            let written = try await api.store.downsample(now: Self.now, batchMillis: 60_000)
            #expect(written == 3 * 2 + 2)
            let minutes = try await api.store.series(bot: "alpha", metric: "cpu_percent", tier: .minute, from: 0, to: Self.now)
            #expect(minutes.count == 3)
            for point in minutes {
                #expect(point.tier == .minute && point.spanMillis == 60_000)
                #expect(abs(point.value - expectedMinutes[point.timestamp]!) < 1e-9, "\(point)")
            }
            let hours = try await api.store.series(bot: "alpha", metric: "cpu_percent", tier: .hour, from: 0, to: Self.now)
            let rawMean = samples.filter { $0.metric == "cpu_percent" }.map(\.value).reduce(0, +) / 18
            #expect(hours.count == 1 && hours.first?.timestamp == hour && abs(hours[0].value - rawMean) < 1e-9)
            // Nothing new: nothing written again.
            #expect(try await api.store.downsample(now: Self.now) == 0)
            // The current minute is not averaged while samples may still arrive.
            try await api.store.store(samples: [MetricSample(bot: "alpha", metric: "cpu_percent", tier: .raw,
                                                             timestamp: Self.now - 1000, value: 5, spanMillis: 10_000)])
            #expect(try await api.store.downsample(now: Self.now) == 0)
        }
    }

    @Test func retentionDeletesOldSamplesAndKeepsNewOnes() async throws {
        try await withAPI { api in
            let day: Int64 = 86_400_000
            func s(_ resolution: Int64, _ age: Int64) -> MetricSample {
                MetricSample(bot: "alpha", metric: "cpu_percent", tier: resolution == 10_000 ? .raw : MetricTier(rawValue: resolution)!,
                             timestamp: Self.now - age, value: 1, spanMillis: resolution)
            }
            try await api.store.store(samples: [
                s(10_000, 2 * day), s(10_000, 2 * day - 10_000), s(10_000, 3_600_000), s(10_000, 60_000),   // raw: 2 old, 2 new
                s(60_000, 8 * day), s(60_000, 2 * day),                                                     // minute: 1 old, 1 new
                s(3_600_000, 100 * day), s(3_600_000, 91 * day), s(3_600_000, 10 * day),                  // hour: 2 old, 1 new
            ])
            // Raw samples no hour average covers yet are kept: the hour average is computed first.
            try await api.store.store(samples: [s(10_000, 3 * day)])
            let retention = SupervisorStore.MetricRetention(all: .seconds(90 * 86_400))
            // The first pass takes the old minute and hour rows (1 + 2), one per transaction.
            #expect(try await api.store.deleteExpiredSamples(now: Self.now, retention: retention, batch: 1) == 3)
            #expect(try await rows(api.store, "SELECT 1 FROM metric_samples WHERE resolution = 0").count == 5)

            try await api.store.downsample(now: Self.now)
            let deleted = try await api.store.deleteExpiredSamples(now: Self.now, retention: retention, batch: 1)
            let raw = try await api.store.series(bot: "alpha", metric: "cpu_percent", tier: .raw, from: 0, to: Self.now)
            #expect(raw.map(\.timestamp) == [Self.now - 3_600_000, Self.now - 60_000])
            let minute = try await api.store.series(bot: "alpha", metric: "cpu_percent", tier: .minute, from: 0, to: Self.now - day)
            #expect(minute.allSatisfy { Self.now - $0.timestamp < 7 * day } && minute.contains { $0.timestamp == Self.now - 2 * day })
            let hour = try await api.store.series(bot: "alpha", metric: "cpu_percent", tier: .hour, from: 0, to: Self.now)
            #expect(hour.allSatisfy { Self.now - $0.timestamp <= 90 * day } && hour.contains { $0.timestamp == Self.now - 10 * day })
            #expect(!hour.contains { $0.timestamp == Self.now - 91 * day || $0.timestamp == Self.now - 100 * day })
            #expect(deleted == 3)
        }
    }

    @Test func logRetentionDeletesOldCommandRecordsInBatchesAndKeepsNewOnes() async throws {
        var settings = MetricsRecorder.Settings()
        settings.logRetention = .seconds(86_400)
        try await withAPI(settings: settings) { api in
            let nowMicros = Self.now * 1000
            func record(_ id: String, age: Int64) -> CommandRecord {
                CommandRecord(id: id, bot: "alpha", guildID: nil, channelID: nil, userID: "u1", command: "ping", options: "{\"tag\":\"\(id)\"}",
                              startedAt: nowMicros - age, durationMicros: 1000, outcome: .ok)
            }
            let old = (0..<1234).map { record("old\($0)", age: 2 * 86_400_000_000 + Int64($0)) }
            let new = (0..<10).map { record("new\($0)", age: 3_600_000_000) }
            try await api.store.store(old + new)
            #expect(try await api.store.deleteCommandLogs(before: nowMicros - 86_400_000_000, batch: 100) == 1234)
            #expect(try await api.store.commandCount() == 10)
            // The full-text index lost the deleted rows too.
            #expect(try await api.store.search({ var q = LogQuery(); q.text = "old5"; return q }()).records.isEmpty)
            #expect(try await api.store.search({ var q = LogQuery(); q.text = "new5"; return q }()).records.count == 1)
            // The recorder's upkeep applies [logs] retention.
            try await api.store.store([record("older", age: 5 * 86_400_000_000)])
            try await api.recorder.maintain()
            #expect(try await api.store.commandCount() == 10)
        }
    }

    // MARK: Sampling

    @Test func aRunningWorkerIsSampledWithCPUAndMemory() async throws {
        // A stand-in worker that burns some CPU and then waits (it never says hello).
        let script = "/tmp/botvisor-busy-\(getpid()).sh"
        try "#!/bin/sh\ni=0\nwhile [ $i -lt 100000 ]; do i=$((i+1)); done\nexec /bin/sleep 30\n".writeAtomically(to: script)
        chmod(script, 0o755)
        defer { unlink(script) }
        // The real clock: rates need time to pass between samples.
        try await withAPI(workerPath: script, clock: MetricsRecorder.unixMillis) { api in
            // In the repository before the fleet starts, which starts it: `Fleet.add` racing the fleet's
            // initial load could register the bot twice.
            try await api.store.add(BotDefinition(name: "alpha", token: "tok-alpha"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await api.fleet.run() }
                var samples: [MetricSample] = []
                try await eventually(timeout: .seconds(30), "a CPU sample above zero") {
                    samples = try await api.recorder.sample()
                    return samples.contains { $0.bot == "alpha" && $0.metric == "cpu_percent" && $0.value > 0 }
                }
                #expect(samples.contains { $0.bot == "alpha" && $0.metric == "rss_bytes" && $0.value > 0 })
                #expect(samples.contains { $0.bot == "_system" && $0.metric == "rss_bytes" && $0.value > 0 })
                #expect(samples.contains { $0.bot == "_system" && $0.metric == "db_bytes" && $0.value > 0 })
                let stored = try await api.store.series(bot: "alpha", metric: "rss_bytes", tier: .raw, from: 0, to: .max)
                #expect(!stored.isEmpty && stored.allSatisfy { $0.value > 0 && $0.spanMillis > 0 })
                await api.fleet.shutdown()
                try await group.waitForAll()
            }
        }
    }

    // MARK: Routes

    @Test func theSeriesEndpointReturnsThePointsInRangeFromTheRightTier() async throws {
        try await withAPI { api in
            try await api.addIdleBot("alpha")
            var samples = (0..<30).map { i in
                MetricSample(bot: "alpha", metric: "gateway_rtt_ms", tier: .raw, timestamp: Self.now - Int64(i) * 10_000, value: Double(i),
                             spanMillis: 10_000)
            }
            samples.append(MetricSample(bot: "alpha", metric: "gateway_rtt_ms", tier: .minute, timestamp: Self.now - 3 * 86_400_000, value: 42, spanMillis: 60_000))
            samples.append(MetricSample(bot: "_system", metric: "db_bytes", tier: .raw, timestamp: Self.now - 5000, value: 4096, spanMillis: 10_000))
            try await api.store.store(samples: samples)

            struct Series: Decodable {
                struct Point: Decodable { var ts: Int64; var value: Double }
                var bot: String; var metric: String; var resolution_seconds: Double; var points: [Point]
            }
            let from = Self.now - 95_000, to = Self.now - 20_000
            let recent = try await api.decode(Series.self, "/api/v1/monitoring/metrics/series?bot=alpha&metric=gateway_rtt_ms&from=\(from)&to=\(to)")
            #expect(recent.resolution_seconds == 10)
            #expect(recent.points.map(\.ts) == (2...9).reversed().map { Self.now - Int64($0) * 10_000 })
            #expect(recent.points.map(\.value) == (2...9).reversed().map(Double.init))
            // Older than a day: minute averages.
            let old = try await api.decode(Series.self, "/api/v1/monitoring/metrics/series?bot=alpha&metric=gateway_rtt_ms&from=\(Self.now - 4 * 86_400_000)")
            #expect(old.resolution_seconds == 60 && old.points.map(\.value) == [42])
            // No bot: botvisord's own figures; by default the last hour.
            let system = try await api.decode(Series.self, "/api/v1/monitoring/metrics/series?metric=db_bytes")
            #expect(system.bot == "_system" && system.points.map(\.value) == [4096])
        }
    }

    @Test func badParametersAre400sWithTheErrorShapeAndAnUnknownBotFilterSelectsNothing() async throws {
        try await withAPI { api in
            try await api.addIdleBot("alpha")
            let cases: [(String, Int, String, String?)] = [
                ("/api/v1/monitoring/metrics?window=soon", 400, "INVALID_PARAMETER", "window"),
                ("/api/v1/monitoring/metrics?window=10s", 400, "INVALID_PARAMETER", "window"),
                ("/api/v1/monitoring/metrics?frm=1", 400, "INVALID_PARAMETER", "frm"),
                ("/api/v1/monitoring/metrics/series?bot=alpha&metric=nope", 400, "INVALID_PARAMETER", "cpu_percent, rss_bytes"),
                ("/api/v1/monitoring/metrics/series?bot=alpha", 400, "INVALID_PARAMETER", "gateway_rtt_ms"),
                ("/api/v1/monitoring/metrics?window=1.5h", 400, "INVALID_PARAMETER", "window"),
                ("/api/v1/monitoring/metrics?window=367d", 400, "INVALID_PARAMETER", "window"),
                ("/api/v1/monitoring/metrics/series?bot=alpha&metric=cpu_percent&limit=5", 400, "INVALID_PARAMETER", "limit"),
                ("/api/v1/monitoring/metrics/series?bot=alpha&metric=cpu_percent&from=abc", 400, "INVALID_PARAMETER", "from"),
                ("/api/v1/monitoring/health", 405, "METHOD_NOT_ALLOWED", nil),
            ]
            for (target, status, code, mention) in cases {
                let response = status == 405 ? await api.router.respond(to: HTTPRequest(method: .post, target: target))
                                             : await api.router.respond(to: HTTPRequest(method: .get, target: target))
                #expect(response.status.code == status, "\(target)")
                guard case .bytes(let bytes) = response.body else { Issue.record("no body for \(target)"); continue }
                struct ErrorBody: Decodable {
                    struct Inner: Decodable { var code: String; var message: String; var request_id: String }
                    var error: Inner
                }
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(bytes))
                #expect(body.error.code == code, "\(target)")
                #expect(body.error.request_id == response.headers["X-Request-Id"], "\(target)")
                if let mention { #expect(body.error.message.contains(mention), "\(target): \(body.error.message)") }
            }
            // `bot` filters alike on every read: a name with no bot selects nothing, as on /logs (records outlive a removed bot).
            #expect(try await api.decode(MetricsSummary.self, "/api/v1/monitoring/metrics?bot=ghost").bots.isEmpty)
            #expect(try await api.decode(MetricSeries.self, "/api/v1/monitoring/metrics/series?bot=ghost&metric=cpu_percent").points.isEmpty)
            #expect(try await api.decode(MetricSeries.self, "/api/v1/monitoring/metrics/series?bot=alpha&metric=cpu_percent&from=20&to=10").points.isEmpty)
            let logs = await api.router.respond(to: HTTPRequest(method: .get, target: "/api/v1/logs?bot=ghost"))
            #expect(logs.status == .ok)
        }
    }

    @Test func theMetricsSummaryCombinesSamplesAndTheCommandLog() async throws {
        try await withAPI { api in
            try await api.addIdleBot("alpha")
            try await api.addIdleBot("beta")
            var samples: [MetricSample] = []
            for i in 0..<6 {
                let ts = Self.now - Int64(i) * 10_000 - 1000
                samples.append(MetricSample(bot: "alpha", metric: "cpu_percent", tier: .raw, timestamp: ts, value: Double(i), spanMillis: 10_000))
                samples.append(MetricSample(bot: "alpha", metric: "rest_429_per_second", tier: .raw, timestamp: ts, value: 0.1, spanMillis: 10_000))
                samples.append(MetricSample(bot: "alpha", metric: "identifies_per_second", tier: .raw, timestamp: ts, value: i == 0 ? 0.1 : 0, spanMillis: 10_000))
                samples.append(MetricSample(bot: "_system", metric: "ingest_per_second", tier: .raw, timestamp: ts, value: 3, spanMillis: 10_000))
            }
            // Outside a 5-minute window.
            samples.append(MetricSample(bot: "alpha", metric: "cpu_percent", tier: .raw, timestamp: Self.now - 600_000, value: 1000, spanMillis: 10_000))
            try await api.store.store(samples: samples)
            let records = (1...10).map { i in
                CommandRecord(id: "c\(i)", bot: "alpha", guildID: nil, channelID: nil, userID: "u", command: "ping", options: "{}",
                              startedAt: Self.now * 1000 - 60_000_000, durationMicros: Int64(i) * 1000, outcome: i == 10 ? .error : .ok)
            }
            try await api.store.store(records)
            let summary = try await api.decode(MetricsSummary.self, "/api/v1/monitoring/metrics?window=5m")
            #expect(summary.window_seconds == 300)
            #expect(Set(summary.bots.keys) == ["alpha", "beta"])
            let alpha = try #require(summary.bots["alpha"])
            #expect(alpha.cpu_percent == 2.5)
            #expect(alpha.rest_429 == 6 && alpha.identifies == 1 && alpha.resumes == 0)
            #expect(alpha.commands == 10 && alpha.commands_per_minute == 2 && alpha.error_rate == 0.1)
            #expect(alpha.p50_ms == 5 && alpha.p95_ms == 10 && alpha.p99_ms == 10)
            #expect(summary.system.ingest_per_second == 3 && summary.system.db_bytes > 0 && (summary.system.rss_bytes ?? 0) > 0)
            let beta = try #require(summary.bots["beta"])
            #expect(beta.commands == 0 && beta.cpu_percent == nil && beta.state == .stopped)
            let one = try await api.decode(MetricsSummary.self, "/api/v1/monitoring/metrics?window=24h&bot=beta")
            #expect(Set(one.bots.keys) == ["beta"] && one.window_seconds == 86_400)
        }
    }

    @Test func healthIsOkWithNoBotsAndDownWhenTheDatabaseRefusesWrites() async throws {
        try await withAPI { api in
            let ok = try await api.decode(HealthReport.self, "/api/v1/monitoring/health")
            #expect(ok.status == "ok" && ok.database.writable && ok.ipc.healthy && ok.http.healthy && ok.bots.isEmpty)
            #expect(await api.get("/api/v1/monitoring/health").status == 200)
            // Another connection holds the write lock: the probe gives up after its short timeout.
            let other = try await DatabaseQueue(path: "\(api.dir)/botvisor.db")
            try await other.writeWithoutTransaction { db in try db.execute("BEGIN IMMEDIATE") }
            try await eventually(timeout: .seconds(30), "down while the database is locked") {
                await api.get("/api/v1/monitoring/health").status == 503
            }
            let down = try await api.decode(HealthReport.self, "/api/v1/monitoring/health")
            #expect(down.status == "down" && !down.database.writable && down.database.error != nil)
            try await other.writeWithoutTransaction { db in try db.execute("ROLLBACK") }
            await other.close()
            try await eventually(timeout: .seconds(30), "ok again") { await api.get("/api/v1/monitoring/health").status == 200 }
            // A stopped IPC server is down too.
            await api.recorder.setHealthy("ipc", false)
            try await Reactor.shared.sleep(until: .now + MonitoringCache().ttl)
            #expect(await api.get("/api/v1/monitoring/health").status == 503)
        }
    }

    @Test func healthIsDownWhenTheIPCSocketIsGone() async throws {
        var settings = MetricsRecorder.Settings()
        settings.ipcSocketPath = "/nonexistent/botvisor/ipc.sock"
        try await withAPI(settings: settings) { api in
            let (status, body, _) = await api.get("/api/v1/monitoring/health")
            let report = try JSONDecoder().decode(HealthReport.self, from: Data(body.utf8))
            #expect(status == 503 && report.status == "down" && !report.ipc.healthy && report.database.writable)
        }
    }

    @Test func overallHealthIsDegradedWhenSomeEnabledBotsAreNotReady() {
        func bot(_ state: WorkerState, enabled: Bool = true) -> HealthReport.Bot {
            HealthReport.Bot(name: "b", state: state, enabled: enabled, gateway_connected: state == .ready, restarts_in_window: 0, restarts: 0)
        }
        #expect(HealthReport.overall(database: true, ipc: true, http: true, bots: []) == "ok")
        #expect(HealthReport.overall(database: true, ipc: true, http: true, bots: [bot(.ready), bot(.stopped, enabled: false)]) == "ok")
        #expect(HealthReport.overall(database: true, ipc: true, http: true, bots: [bot(.ready), bot(.backoff)]) == "degraded")
        #expect(HealthReport.overall(database: true, ipc: true, http: true, bots: [bot(.ready), bot(.authFailed)]) == "degraded")
        #expect(HealthReport.overall(database: true, ipc: true, http: true, bots: [bot(.failed), bot(.backoff)]) == "down")
        #expect(HealthReport.overall(database: false, ipc: true, http: true, bots: [bot(.ready)]) == "down")
        #expect(HealthReport.overall(database: true, ipc: false, http: true, bots: []) == "down")
    }

    // MARK: Caching

    @Test func cachedHealthAndMetricsAreNeverOlderThanOneSecond() async throws {
        try await withAPI { api in
            #expect(try await api.decode(HealthReport.self, "/api/v1/monitoring/health").status == "ok")
            // An enabled bot that is not running: the fleet is down. The cached "ok" may be served for at most 1 s.
            try await api.addIdleBot("alpha", enabled: true)
            // Whatever is cached was computed before the change: one lifetime later it has expired, however
            // slow the machine, so the next answer must include the bot. (The wait is the bound under test.)
            try await Reactor.shared.sleep(until: .now + MonitoringCache().ttl)
            #expect(await api.get("/api/v1/monitoring/health").status == 503)
            let health = try await api.decode(HealthReport.self, "/api/v1/monitoring/health")
            #expect(health.status == "down" && health.bots.map(\.name) == ["alpha"] && health.bots[0].gateway_connected == false)

            let before = try await api.decode(MetricsSummary.self, "/api/v1/monitoring/metrics?window=5m")
            #expect(before.system.cpu_percent == nil)
            // Stored behind the recorder's back (no invalidation): only the time limit brings it in.
            try await api.store.store(samples: [MetricSample(bot: "_system", metric: "cpu_percent", tier: .raw,
                                                             timestamp: Self.now - 1000, value: 12.5, spanMillis: 10_000)])
            try await Reactor.shared.sleep(until: .now + MonitoringCache().ttl)
            #expect(try await api.decode(MetricsSummary.self, "/api/v1/monitoring/metrics?window=5m").system.cpu_percent == 12.5)
        }
    }

    @Test func theCacheServesWithinItsLifetimeAndRecomputesAfterAnInvalidation() async {
        let cache = MonitoringCache(ttl: .seconds(3600))
        let computed = Counter()
        func get(_ key: String) async -> HTTPResponse {
            await cache.response(for: key) { await computed.increment(); return .json(["n": await computed.value]) }
        }
        _ = await get("a")
        _ = await get("a")
        #expect(await computed.value == 1)
        _ = await get("b")
        #expect(await computed.value == 2)
        await cache.invalidate()
        _ = await get("a")
        #expect(await computed.value == 3)
        // Errors are never kept: their body names the request.
        _ = await cache.response(for: "e") { await computed.increment(); return .json(["e": 1], status: .badRequest) }
        _ = await cache.response(for: "e") { await computed.increment(); return .json(["e": 1]) }
        #expect(await computed.value == 5)
    }

    @Test func aCachedAnswerIsServedUntilItsLifetimeEndsAndRecomputedFromThen() async {
        let clock = ManualClock()
        let cache = MonitoringCache(ttl: .seconds(1), now: { clock.now })
        let computed = Counter()
        func get() async -> HTTPResponse {
            await cache.response(for: "health") { await computed.increment(); return .json(["n": await computed.value]) }
        }
        _ = await get()
        clock.advance(by: .milliseconds(999))
        _ = await get()
        #expect(await computed.value == 1)
        // The lifetime counts from when the computation began: exactly one second later it is over.
        clock.advance(by: .milliseconds(1))
        _ = await get()
        #expect(await computed.value == 2)
        clock.advance(by: .milliseconds(500))
        _ = await get()
        #expect(await computed.value == 2)
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }

    @Test func metricsConfigurationKeysAreParsed() throws {
        let c = try Configuration.parse("[metrics]\nretention = 30d\nsample_interval = 5s\n", environment: [:])
        #expect(c.metricsRetention == .seconds(30 * 86_400) && c.metricsSampleInterval == .seconds(5))
        #expect(Configuration(environment: [:]).metricsRetention == .seconds(90 * 86_400))
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[metrics]\nsample_interval = 2m\n", environment: [:]) }
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[metrics]\nretention = forever\n", environment: [:]) }
        let settings = MetricsRecorder.Settings(c)
        #expect(settings.sampleInterval == .seconds(5) && settings.retention.all == .seconds(30 * 86_400))
    }
}
