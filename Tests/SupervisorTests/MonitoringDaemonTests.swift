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

/// Monitoring through a real `botvisord` with real workers against the simulator.
@Suite(.heavy) struct MonitoringDaemonTests {
    @Test func aRunningWorkerIsSampledAndHealthShowsItsGateway() async throws {
        try await DaemonHarness.run(extraConfig: "[metrics]\nsample_interval = 200ms\n") { h in
            let port = h.httpPort
            let headers = try await h.adminHeaders()
            let client = HTTPClient()
            defer { client.shutdown() }
            func get(_ path: String) async throws -> (Int, Data) {
                let r = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)", headers: headers), timeout: .seconds(10))
                return (r.status.code, Data(r.body))
            }
            try await h.addBot("alpha", token: "tok-alpha")
            try await h.waitFor("alpha", .ready)
            _ = await h.sim.injectInteraction(bot: "alpha", command: "ping")

            struct Series: Decodable {
                struct Point: Decodable { var ts: Int64; var value: Double }
                var points: [Point]
            }
            for metric in ["cpu_percent", "rss_bytes"] {
                try await eventually(timeout: h.patience, "\(metric) samples above zero") {
                    let (status, body) = try await get("/api/v1/monitoring/metrics/series?bot=alpha&metric=\(metric)")
                    guard status == 200 else { return false }
                    return try JSONDecoder().decode(Series.self, from: body).points.contains { $0.value > 0 }
                }
            }
            try await eventually(timeout: h.patience, "the supervisor's own samples") {
                let (_, body) = try await get("/api/v1/monitoring/metrics/series?metric=rss_bytes")
                return (try? JSONDecoder().decode(Series.self, from: body))?.points.isEmpty == false
            }
            // The worker reports its gateway RTT and last dispatch every 2 s.
            var report: HealthReport?
            try await eventually(timeout: h.patience, "health with the gateway's figures") {
                let (status, body) = try await get("/api/v1/monitoring/health")
                report = try? JSONDecoder().decode(HealthReport.self, from: body)
                return status == 200 && report?.bots.first?.heartbeat_rtt_ms != nil && report?.bots.first?.last_dispatch_age_ms != nil
            }
            let health = try #require(report)
            #expect(health.status == "ok" && health.database.writable && health.ipc.healthy && health.http.healthy)
            let alpha = try #require(health.bots.first)
            #expect(alpha.name == "alpha" && alpha.state == .ready && alpha.gateway_connected && alpha.restarts_in_window == 0)
            #expect((alpha.last_dispatch_age_ms ?? -1) >= 0)

            // The identify is counted from the first sample after the worker's first metrics report.
            var summary: MetricsSummary?
            try await eventually(timeout: h.patience, "the identify in the summary") {
                let (status, body) = try await get("/api/v1/monitoring/metrics?window=5m&bot=alpha")
                summary = status == 200 ? try JSONDecoder().decode(MetricsSummary.self, from: body) : nil
                return (summary?.bots["alpha"]?.identifies ?? 0) > 0
            }
            #expect(summary?.bots["alpha"]?.identifies == 1 && summary?.bots["alpha"]?.resumes == 0)
            #expect((summary?.bots["alpha"]?.rss_bytes ?? 0) > 0 && (summary?.bots["alpha"]?.cpu_percent ?? 0) > 0)

            // A killed worker: the health shows the restart.
            let pid = try #require(try await h.status("alpha").pid)
            kill(pid, SIGKILL)
            try await eventually(timeout: h.patience, "the restart in health") {
                let (_, body) = try await get("/api/v1/monitoring/health")
                return (try? JSONDecoder().decode(HealthReport.self, from: body))?.bots.first?.restarts_in_window == 1
            }
        }
    }
}
