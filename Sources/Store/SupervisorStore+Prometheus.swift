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

    /// The `command` label of the commands a bot does not have: one series per bot and outcome, however
    /// many names Discord users type (https://prometheus.io/docs/practices/naming/#labels: no unbounded
    /// label values). The name itself stays in the command log.
    public static let unknownCommandLabel = "_unknown"

    /// Command counts and duration histograms per bot, from `command_totals` (kept up to date by `store`):
    /// a scrape reads a few rows however long the log is. A command that is neither built in nor one of
    /// the bot's custom commands counts under `_unknown`: `insert` files new ones there, and rows stored
    /// before it did (or of a custom command since removed) are folded into it here.
    package func prometheusCommandFigures() async throws -> ([CommandCount], [CommandHistogram]) {
        let bucketSQL = SupervisorStore.durationBucketsMicros.indices.map { "SUM(le_\($0))" }.joined(separator: ", ")
        let builtIn = BotConfigValidator.builtInCommands.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return try await reader.read { db in
            let counts = try db.query("""
                SELECT bot, label AS command, outcome, SUM(count) AS n FROM (
                    SELECT t.bot, t.outcome, t.count,
                           CASE WHEN t.command IN (\(builtIn), '\(SupervisorStore.unknownCommandLabel)') OR EXISTS (
                               SELECT 1 FROM bots b, json_each(b.custom_commands) c
                               WHERE b.name = t.bot AND json_extract(c.value, '$.name') = t.command)
                           THEN t.command ELSE '\(SupervisorStore.unknownCommandLabel)' END AS label
                    FROM command_totals t)
                GROUP BY bot, label, outcome ORDER BY bot, label, outcome
                """)
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
