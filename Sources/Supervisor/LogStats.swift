import FoundationEssentials
import Storage

/// Per-command and per-bot figures over a window: count, error rate and duration percentiles.
public struct LogStats: Encodable, Sendable {
    public struct Group: Encodable, Sendable {
        public var count: Int
        public var errors: Int
        public var error_rate: Double
        public var p50_ms: Double
        public var p95_ms: Double
        public var p99_ms: Double
    }
    public var window_seconds: Int
    public var bots: [String: Group]
    public var commands: [String: Group]

    /// Nearest-rank percentiles over sorted durations (microseconds in, milliseconds out).
    static func group(_ durations: [Int64], errors: Int) -> Group {
        let sorted = durations.sorted()
        func p(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
            return Double(sorted[rank - 1]) / 1000
        }
        return Group(count: sorted.count, errors: errors, error_rate: sorted.isEmpty ? 0 : Double(errors) / Double(sorted.count),
                     p50_ms: p(0.5), p95_ms: p(0.95), p99_ms: p(0.99))
    }
}

extension SupervisorStore {
    /// Figures for records that started at or after `since` (microseconds since the epoch).
    ///
    /// The scan reads the covering time index (migration 5), never the table, and takes columns
    /// straight from the statement; durations are grouped as plain integers and sorted once per group.
    public func stats(since: Int64, windowSeconds: Int) async throws -> LogStats {
        let (byBot, byCommand) = try await reader.read { db -> ([String: ([Int64], Int)], [String: ([Int64], Int)]) in
            let stmt = try db.cachedStatement("SELECT bot, command, outcome, duration_us FROM command_logs WHERE started_at >= ?")
            try stmt.bind(since, at: 1)
            defer { stmt.reset() }
            var byBot: [String: ([Int64], Int)] = [:]
            var byCommand: [String: ([Int64], Int)] = [:]
            while try stmt.step() {
                let bot = stmt.string(0) ?? "", command = stmt.string(1) ?? "", outcome = stmt.string(2) ?? ""
                let duration = stmt.int64(3)
                let failed = outcome == "error" || outcome == "timeout" ? 1 : 0
                byBot[bot, default: ([], 0)].0.append(duration)
                byBot[bot]!.1 += failed
                byCommand[command, default: ([], 0)].0.append(duration)
                byCommand[command]!.1 += failed
            }
            return (byBot, byCommand)
        }
        return LogStats(window_seconds: windowSeconds, bots: byBot.mapValues { LogStats.group($0.0, errors: $0.1) },
                        commands: byCommand.mapValues { LogStats.group($0.0, errors: $0.1) })
    }
}
