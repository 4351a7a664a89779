import Storage
import Testing
import TestSupport

/// The `sqlite3` command-line shell reads what the wrapper wrote.
@Suite struct SQLiteCLITests {
    static let rows = 10_000

    /// Writes bots, 10,000 command logs and metrics through the wrapper, in one transaction, and closes.
    static func writeSampleDatabase(at path: String) throws {
        let db = try Database(path: path)
        defer { db.close() }
        try db.execute("""
            CREATE TABLE bots(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token BLOB);
            CREATE TABLE command_logs(id INTEGER PRIMARY KEY, bot_id INTEGER NOT NULL REFERENCES bots(id),
                                      at INTEGER NOT NULL, body TEXT NOT NULL);
            CREATE TABLE metrics(bot_id INTEGER NOT NULL REFERENCES bots(id), name TEXT NOT NULL, value REAL NOT NULL);
            """)
        try db.transaction { db in
            try db.execute("INSERT INTO bots(id, name, token) VALUES (?, ?, ?)", [1, "Grüße 🤖", [0, 0xAB, 0] as [UInt8]])
            try db.execute("INSERT INTO bots(id, name, token) VALUES (?, ?, ?)", [2, "news", nil])
            let insert = try db.cachedStatement("INSERT INTO command_logs(bot_id, at, body) VALUES (?, ?, ?)")
            for i in 0..<rows {
                try insert.execute([i % 2 + 1, i, "/cmd \(i) ✓"])
            }
            for i in 0..<10 {
                try db.execute("INSERT INTO metrics VALUES (?, ?, ?)", [1, "latency_ms", Double(i) + 0.5])
            }
        }
    }

    func sqlite3(_ path: String, _ sql: String) async throws -> String {
        let result = try await runProcess(try #require(Peer.sqlite3.path), [path, sql])
        #expect(result.status == 0, "sqlite3 failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func theSQLiteShellReadsBackWhatTheWrapperWrote() async throws {
        try await withDatabasePath { path in
            try Self.writeSampleDatabase(at: path)
            let n = Self.rows
            #expect(try await sqlite3(path, "SELECT count(*), sum(at), count(DISTINCT body) FROM command_logs")
                    == "\(n)|\(n * (n - 1) / 2)|\(n)")
            #expect(try await sqlite3(path, "SELECT bot_id, count(*) FROM command_logs GROUP BY bot_id") == "1|\(n / 2)\n2|\(n / 2)")
            #expect(try await sqlite3(path, "SELECT body FROM command_logs WHERE at = 1234") == "/cmd 1234 ✓")
            #expect(try await sqlite3(path, "SELECT name, hex(token), typeof(token) FROM bots ORDER BY id")
                    == "Grüße 🤖|00AB00|blob\nnews||null")
            #expect(try await sqlite3(path, "SELECT count(*), sum(value) FROM metrics") == "10|50.0")
            #expect(try await sqlite3(path, "PRAGMA integrity_check") == "ok")
            #expect(try await sqlite3(path, "PRAGMA foreign_key_check") == "")
            #expect(try await sqlite3(path, "PRAGMA journal_mode") == "wal")
        }
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func theWrapperReadsWhatTheSQLiteShellWrote() async throws {
        try await withDatabasePath { path in
            _ = try await sqlite3(path, "CREATE TABLE t(s TEXT, b BLOB, r REAL); INSERT INTO t VALUES ('日本語', x'00ff00', 2.5)")
            let db = try Database(path: path)
            let row = try #require(try db.first("SELECT s, b, r FROM t"))
            #expect(row.values == [.text("日本語"), .blob([0, 0xFF, 0]), .real(2.5)])
        }
    }

    @Test func theWrapperConfiguresWALNormalSyncAndForeignKeys() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            #expect(try db.first("PRAGMA journal_mode")?[0] == .text("wal"))
            // 1 is NORMAL (https://www.sqlite.org/pragma.html#pragma_synchronous).
            #expect(try integer(db, "PRAGMA synchronous") == 1)
            #expect(try integer(db, "PRAGMA foreign_keys") == 1)
        }
    }
}
