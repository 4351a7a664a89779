import Discord
import FoundationEssentials
import HTTP
import IOCore
import IPC
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

@Suite struct LogStatsTests {
    @Test func statsCountErrorRatesAndPercentilesPerBotAndCommand() async throws {
        try await LogsAPITests().withAPI { router, store in
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            // 100 recent records for bot0 with durations 1..100 ms, every 10th an error; one old record outside the window.
            var records = (1...100).map { i in
                CommandRecord(id: "s\(i)", bot: "bot0", guildID: nil, channelID: nil, userID: "u", command: "ping", options: "{}",
                              startedAt: now - 60_000_000, durationMicros: Int64(i) * 1000, outcome: i % 10 == 0 ? .error : .ok)
            }
            records.append(CommandRecord(id: "old", bot: "bot0", guildID: nil, channelID: nil, userID: "u", command: "ping", options: "{}",
                                         startedAt: now - 7_200_000_000, durationMicros: 999_000_000, outcome: .error))
            try await store.store(records)
            let response = await router.respond(to: HTTPRequest(method: .get, target: "/api/v1/logs/stats?window=1h"))
            #expect(response.status == .ok)
            guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
            struct Stats: Decodable {
                struct Group: Decodable { var count: Int; var error_rate: Double; var p50_ms: Double; var p95_ms: Double; var p99_ms: Double }
                var bots: [String: Group]
                var commands: [String: Group]
            }
            let stats = try JSONDecoder().decode(Stats.self, from: Data(body))
            let bot = try #require(stats.bots["bot0"])
            #expect(bot.count == 100 && bot.error_rate == 0.1)
            #expect(bot.p50_ms == 50 && bot.p95_ms == 95 && bot.p99_ms == 99)
            #expect(stats.commands["ping"]?.count == 100)
            let bad = await router.respond(to: HTTPRequest(method: .get, target: "/api/v1/logs/stats?window=soon"))
            #expect(bad.status == .badRequest)

            // Cached for at most a second: a new record shows within a second, however often one asks.
            try await store.store([CommandRecord(id: "late", bot: "bot1", guildID: nil, channelID: nil, userID: "u", command: "ping",
                                                 options: "{}", startedAt: now, durationMicros: 1000, outcome: .ok)])
            // Whatever is cached was computed before the store: one lifetime (the router's cache has the default)
            // later it has expired, however slow the machine, so the next answer must count the record.
            try await Reactor.shared.sleep(until: .now + MonitoringCache().ttl)
            let fresh = await router.respond(to: HTTPRequest(method: .get, target: "/api/v1/logs/stats?window=1h"))
            guard case .bytes(let freshBody) = fresh.body else { Issue.record("no body"); return }
            #expect(try JSONDecoder().decode(Stats.self, from: Data(freshBody)).bots["bot1"]?.count == 1)
        }
    }
}

extension LogsAPITests {
    /// Found by schemathesis: `to=4505050578626096128` overflowed Int64 milliseconds -> microseconds and killed the daemon.
    @Test func outOfRangeNumbersAreA400NotACrash() async throws {
        try await withAPI { router, _ in
            for target in ["/api/v1/logs?to=4505050578626096128", "/api/v1/logs?from=10000000000001", "/api/v1/logs?min_duration_ms=9223372036854775807",
                           "/api/v1/logs/stats?window=1e300h", "/api/v1/logs/stats?window=9999999999999999d"] {
                let (response, _) = try await get(router, target)
                #expect(response.status == .badRequest, "\(target)")
            }
        }
    }
}
