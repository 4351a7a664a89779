import Testing
import IPC
import TestSupport
@testable import Storage
@testable import Store

/// One spelling for every failure code, and old stored rows read in it.
@Suite struct ErrorCodeTests {
    @Test func oldSpellingsReadAsTodays() {
        #expect(ErrorCode.migrating("E_DISCORD_50035") == .discord(50035))
        #expect(ErrorCode.migrating("INVALID_FORM_BODY") == .discord(50035))
        #expect(ErrorCode.migrating("E_TRANSPORT") == .discordUnreachable)
        #expect(ErrorCode.migrating("E_TIMEOUT") == .timeout)
        #expect(ErrorCode.migrating("BOT_NOT_FOUND") == .botNotFound)
    }

    @Test func migrationSixRewritesOldCommandLogCodesAndKeepsTheFullTextIndexInStep() async throws {
        try await withTemporaryDirectory { dir in
            // A database as version 5 left it, with rows in the old spellings.
            do {
                let db = try Database(path: "\(dir)/botvisor.db")
                var upToFive = Migrator()
                for m in SupervisorStore.migrator.migrations where m.version <= 5 { upToFive.register(version: m.version, name: m.name, m.apply) }
                try upToFive.migrate(db)
                let old = [("a", "E_DISCORD_50035"), ("b", "E_TRANSPORT"), ("c", "E_TIMEOUT")].map { id, code in
                    CommandRecord(id: id, bot: "shop", guildID: nil, channelID: nil, userID: "u", command: "stock", options: "{}",
                                  startedAt: 1_000_000, durationMicros: 5, outcome: .error, errorCode: ErrorCode(code), errorMessage: "failed")
                }
                // Written as version 5's store wrote them (today's insert also fills migration 11's table).
                try db.transaction { db in
                    for r in old {
                        try db.execute("""
                            INSERT INTO command_logs (id, bot, user_id, command, options, started_at, duration_us, outcome, error_code, error_message)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, [r.id, r.bot, r.userID, r.command, r.options, r.startedAt, r.durationMicros, r.outcome, r.errorCode?.rawValue, r.errorMessage])
                    }
                    try db.execute("""
                        INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message)
                        SELECT rowid, command, options, error_code, error_message FROM command_logs
                        """, [])
                }
            }
            let store = try await SupervisorStore(stateDirectory: dir)
            var query = LogQuery()
            query.limit = 10
            let codes = Dictionary(uniqueKeysWithValues: try await store.search(query).records.map { ($0.id, $0.errorCode) })
            #expect(codes == ["a": .discord(50035), "b": .discordUnreachable, "c": .timeout])
            // The index holds the new text, not the old: a search for the new code finds the row.
            query.text = "DISCORD_UNREACHABLE"
            #expect(try await store.search(query).records.map(\.id) == ["b"])
            // FTS5's own check that the external-content index matches the table.
            try await store.queue.write { db in try db.execute("INSERT INTO command_logs_fts (command_logs_fts) VALUES ('integrity-check')") }
            await store.close()
        }
    }
}
