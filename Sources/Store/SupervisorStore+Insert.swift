import IPC
import Storage

extension SupervisorStore {
    /// Inserts `records`, indexes the new ones for full-text search and adds them to `command_totals`,
    /// in the caller's transaction.
    /// Returns how many were new.
    @discardableResult
    package static func insert(_ records: [CommandRecord], into db: Database) throws -> Int {
        let stmt = try db.cachedStatement("""
            INSERT OR IGNORE INTO command_logs (id, bot, guild_id, channel_id, user_id, command, options, started_at,
                                                duration_us, outcome, error_code, error_message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        struct Key: Hashable { var bot: String; var command: String; var outcome: CommandOutcome
            package init(bot: String, command: String, outcome: CommandOutcome) { self.bot = bot; self.command = command; self.outcome = outcome }
        }
        var totals: [Key: [Int64]] = [:]
        var newestInBlock: [Int64: Int64] = [:]
        var stored = 0
        let buckets = durationBucketsMicros
        let zeros = [Int64](repeating: 0, count: 2 + buckets.count)
        // New rows get rowids above the largest one now (https://www.sqlite.org/autoinc.html), whatever
        // retention deleted below it.
        let lastRowID = try db.first("SELECT max(rowid) FROM command_logs")?.decode(0, as: Int64?.self) ?? 0
        for r in records {
            // Bound one by one, and as text and integers rather than `any DatabaseValueConvertible`: an array of
            // bindings per row, and then the boxing, were measurable shares of the writer's time.
            stmt.reset()
            try stmt.bind(text: r.id, at: 1)
            try stmt.bind(text: r.bot, at: 2)
            try stmt.bind(text: r.guildID, at: 3)
            try stmt.bind(text: r.channelID, at: 4)
            try stmt.bind(text: r.userID, at: 5)
            try stmt.bind(text: r.command, at: 6)
            try stmt.bind(text: r.options, at: 7)
            try stmt.bind(integer: r.startedAt, at: 8)
            try stmt.bind(integer: r.durationMicros, at: 9)
            try stmt.bind(text: r.outcome.rawValue, at: 10)
            try stmt.bind(text: r.errorCode?.rawValue, at: 11)
            try stmt.bind(text: r.errorMessage, at: 12)
            try stmt.step()
            // A duplicate (resent) record changes nothing and must not be counted twice.
            guard db.changes == 1 else { continue }
            stored += 1
            let block = db.lastInsertRowID >> searchBlockShift
            newestInBlock[block] = max(newestInBlock[block] ?? .min, r.startedAt)
            // A command the worker does not know counts under one label (see `unknownCommandLabel`).
            let command = r.errorCode == .unknownCommand ? SupervisorStore.unknownCommandLabel : r.command
            // Updated in place: copying the figures out and back allocated an array per record.
            totals[Key(bot: r.bot, command: command, outcome: r.outcome), default: zeros].withUnsafeMutableBufferPointer { figures in
                figures[0] += 1
                figures[1] += r.durationMicros
                for (i, bound) in buckets.enumerated() where r.durationMicros <= bound { figures[2 + i] += 1 }
            }
        }
        stmt.reset()
        guard !totals.isEmpty else { return 0 }
        try noteBlocks(newestInBlock, db: db)
        try db.execute("""
            INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message)
            SELECT rowid, command, options, error_code, error_message FROM command_logs WHERE rowid > ?
            """, [lastRowID])
        let columns = buckets.indices.map { "le_\($0)" }
        let upsert = try db.cachedStatement("""
            INSERT INTO command_totals (bot, command, outcome, count, duration_sum_us, \(columns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, \(columns.map { _ in "?" }.joined(separator: ", ")))
            ON CONFLICT (bot, command, outcome) DO UPDATE SET count = count + excluded.count,
                duration_sum_us = duration_sum_us + excluded.duration_sum_us,
                \(columns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
            """)
        for (key, figures) in totals {
            try upsert.execute(Bindings([.text(key.bot), .text(key.command), .text(key.outcome.rawValue)] + figures.map { .integer($0) }))
        }
        return stored
    }
}
