import Testing
import Foundation
import HTTP
import IPC
import TestSupport
import BuildInfo
@testable import API
@testable import Fleet
@testable import Store

/// /metrics' series that keep Prometheus healthy: bounded labels, build info, the daemon's process_*.
@Suite struct PrometheusSeriesTests {
    static func record(_ id: String, _ command: String, outcome: CommandOutcome = .ok, errorCode: ErrorCode? = nil) -> CommandRecord {
        CommandRecord(id: id, bot: "shop", guildID: nil, channelID: nil, userID: "u", command: command, options: "{}",
                      startedAt: 1_795_000_000_000_000, durationMicros: 1000, outcome: outcome, errorCode: errorCode)
    }

    @Test(.enabled(PrometheusTests.client.missing) { await PrometheusTests.client.available() })
    func unknownCommandsShareOneLabelAndTheDaemonsOwnSeriesParse() async throws {
        try await LogsAPITests().withAPI { router, store in
            try await store.add(BotDefinition(name: "shop", token: "t", customCommands: [CustomCommand(name: "stock", description: "d", response: "r")]))
            // A row stored before unknown commands were bucketed: folded at read time.
            try await store.queue.write { db in
                try db.execute("""
                    INSERT INTO command_totals VALUES ('shop', 'bogus', 'error', 4, 4000, \(SupervisorStore.durationBucketsMicros.map { _ in "4" }.joined(separator: ", ")))
                    """)
            }
            try await store.store([
                Self.record("1", "ping"), Self.record("2", "stock"),
                Self.record("3", "nosuch1", outcome: .error, errorCode: "UNKNOWN_COMMAND"),
                Self.record("4", "nosuch2", outcome: .error, errorCode: "UNKNOWN_COMMAND"),
            ])
            // The name stays in the command log.
            #expect(try await store.queue.read { db in try db.first("SELECT count(*) FROM command_logs WHERE command = 'nosuch1'")?.decode(0, as: Int.self) } == 1)
            let response = await router.respond(to: HTTPRequest(method: .get, target: "/metrics"))
            guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
            try await withTemporaryDirectory { dir in
                try Data(body).write(to: URL(fileURLWithPath: "\(dir)/metrics.txt"))
                let script = """
                    from prometheus_client.parser import text_string_to_metric_families
                    f = {f.name: f for f in text_string_to_metric_families(open("\(dir)/metrics.txt").read())}
                    cmds = {}
                    for s in f["botvisor_commands"].samples:
                        key = s.labels["command"]
                        cmds[key] = cmds.get(key, 0) + int(s.value)
                    print(sorted(cmds.items()))
                    b = f["botvisor_build_info"].samples[0]
                    print(b.name, b.labels["version"], int(b.value))
                    p = {s.name: s.value for n in ["process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds",
                                                   "process_max_fds", "process_start_time_seconds"] for s in f[n].samples}
                    print(p["process_resident_memory_bytes"] > 1e6, 3 <= p["process_open_fds"] < p["process_max_fds"],
                          p["process_start_time_seconds"] > 1.7e9, p["process_cpu_seconds_total"] > 0)
                    print(f["botvisor_db_size_bytes"].samples[0].value > 4096)
                    """
                let result = try await runProcess(Peer.python3.path!, ["-c", script])
                #expect(result.stdout == """
                    [('_unknown', 6), ('ping', 1), ('stock', 1)]
                    botvisor_build_info \(BuildInfo.version) 1
                    True True True True
                    True

                    """, "\(result.stderr)")
            }
        }
    }

    @Test func aRunningWorkersStartTimeIsExposed() {
        let statuses = [BotStatus(name: "a", state: .ready, enabled: true, pid: 42, uptimeSeconds: 100, restarts: 0, restartsInWindow: 0),
                        BotStatus(name: "b", state: .stopped, enabled: false, restarts: 0, restartsInWindow: 0)]
        let text = PrometheusExposition.render(statuses: statuses, commands: [], histograms: [],
                                               daemon: .init(process: nil, databaseBytes: 8192, now: 1_795_000_000))
        #expect(text.contains("botvisor_worker_start_time_seconds{bot=\"a\"} 1794999900\n"))
        #expect(!text.contains("botvisor_worker_start_time_seconds{bot=\"b\"}"))
        #expect(text.contains("botvisor_db_size_bytes 8192\n"))
    }
}
