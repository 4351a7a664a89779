import Fleet
import IPC
import Storage

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
                let bot = stmt.string(0) ?? "", command = stmt.string(1) ?? "", outcome = stmt.string(2).flatMap(CommandOutcome.init(rawValue:))
                let duration = stmt.int64(3)
                let failed = outcome?.isFailure == true ? 1 : 0
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
