import Fleet
import IPC
import Storage

extension SupervisorStore {
    /// How often one command of one bot ended with one outcome.
    public struct CommandCount: Sendable {
        package var bot: String
        package var command: String
        package var outcome: CommandOutcome
        package var count: Int
        package init(bot: String, command: String, outcome: CommandOutcome, count: Int) {
            self.bot = bot
            self.command = command
            self.outcome = outcome
            self.count = count
        }
    }

    /// One bot's command durations: cumulative counts per `durationBucketsMicros` bound, total count and sum.
    public struct CommandHistogram: Sendable {
        package var bot: String
        package var cumulative: [Int]
        package var count: Int
        package var sumSeconds: Double
        package init(bot: String, cumulative: [Int], count: Int, sumSeconds: Double) {
            self.bot = bot
            self.cumulative = cumulative
            self.count = count
            self.sumSeconds = sumSeconds
        }
    }

    /// Command counts and duration histograms per bot, from `command_totals` (kept up to date by `store`):
    /// a scrape reads a few rows however long the log is.
    package func prometheusCommandFigures() async throws -> ([CommandCount], [CommandHistogram]) {
        let bucketSQL = SupervisorStore.durationBucketsMicros.indices.map { "SUM(le_\($0))" }.joined(separator: ", ")
        return try await reader.read { db in
            let counts = try db.query("SELECT bot, command, outcome, count AS n FROM command_totals ORDER BY bot, command, outcome")
                .map { CommandCount(bot: try $0.decode("bot"), command: try $0.decode("command"),
                                                         outcome: try $0.decode("outcome"), count: try $0.decode("n", as: Int.self)) }
            let histograms = try db.query("SELECT bot, SUM(count), SUM(duration_sum_us), \(bucketSQL) FROM command_totals GROUP BY bot ORDER BY bot")
                .map { row in
                    CommandHistogram(bot: try row.decode(0), cumulative: try (3..<row.count).map { try row.decode($0, as: Int.self) },
                                                   count: try row.decode(1, as: Int.self), sumSeconds: Double(try row.decode(2, as: Int64.self)) / 1e6)
                }
            return (counts, histograms)
        }
    }
}
