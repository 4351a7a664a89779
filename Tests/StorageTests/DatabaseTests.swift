import Testing
import Glibc
import CSQLite
import TestSupport
@testable import Storage

@Suite struct DatabaseTests {
    @Test func everyValueTypeRoundTrips() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n INTEGER)")
            let blob: [UInt8] = [0, 1, 0, 255]
            try db.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                           [Int64.min, 3.25, "héllo 🌍\u{0}x", blob, Optional<Int>.none])
            let row = try #require(try db.first("SELECT i, r, t, b, n FROM v"))
            #expect(row.get("i", as: Int64.self) == Int64.min)
            #expect(row.get("r", as: Double.self) == 3.25)
            #expect(row.get("t", as: String.self) == "héllo 🌍\u{0}x")
            #expect(row.get("b", as: [UInt8].self) == blob)
            #expect(row["n"] == .null)
            try db.execute("INSERT INTO v (b, t) VALUES (?, ?)", [[UInt8](), true])
            #expect(try db.scalar("SELECT length(b) FROM v WHERE t = '1'", as: Int.self) == 0)
            try db.execute("INSERT INTO v (i) VALUES (?)", [UInt64.max])
            #expect(try db.scalar("SELECT i FROM v WHERE i = -1", as: UInt64.self) == UInt64.max)
        }
    }

    @Test func namedParametersBind() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)")
            let stmt = try db.cachedStatement("INSERT INTO kv VALUES (:k, :v)")
            try stmt.bind(["k": "a", "v": 1])
            try stmt.step()
            #expect(try db.scalar("SELECT v FROM kv WHERE k = 'a'", as: Int.self) == 1)
            #expect(throws: DatabaseError.self) { try stmt.bind(["missing": 1]) }
        }
    }

    @Test func preparedStatementsAreCachedBySQL() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE TABLE n (x INTEGER)")
            for i in 0..<100 { try db.execute("INSERT INTO n VALUES (?)", [i]) }
            #expect(db.cachedStatementCount == 1)
            let a = try db.cachedStatement("SELECT count(*) FROM n")
            let b = try db.cachedStatement("SELECT count(*) FROM n")
            #expect(a === b)
        }
    }

    @Test func aThrowingTransactionRollsBack() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE TABLE n (x INTEGER)")
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try db.transaction { db in
                    try db.execute("INSERT INTO n VALUES (1)", [])
                    try db.transaction { db in try db.execute("INSERT INTO n VALUES (2)", []) }
                    throw Boom()
                }
            }
            #expect(try db.scalar("SELECT count(*) FROM n", as: Int.self) == 0)
            #expect(!db.isInTransaction)
        }
    }

    @Test func aWriterHoldingBeginImmediateMakesASecondWriterFailWithBusy() async throws {
        try await withTemporaryDirectory { dir in
            let first = try Database(path: "\(dir)/t.db")
            try first.execute("CREATE TABLE n (x INTEGER)")
            let second = try Database(path: "\(dir)/t.db", busyTimeout: .milliseconds(50))
            try first.execute("BEGIN IMMEDIATE")
            do {
                try second.transaction { try $0.execute("INSERT INTO n VALUES (1)", []) }
                Issue.record("second writer got the lock")
            } catch let error as DatabaseError {
                #expect(error.code == SQLITE_BUSY)
                #expect(error.isBusy)
            }
            try first.execute("COMMIT")
            try second.transaction { try $0.execute("INSERT INTO n VALUES (1)", []) }
        }
    }

    @Test func aConstraintViolationCarriesTheExtendedCode() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE TABLE u (k TEXT UNIQUE)")
            try db.execute("INSERT INTO u VALUES (?)", ["a"])
            do {
                try db.execute("INSERT INTO u VALUES (?)", ["a"])
                Issue.record("duplicate accepted")
            } catch let error as DatabaseError {
                #expect(error.code == SQLITE_CONSTRAINT)
                #expect(error.extendedCode == SQLITE_CONSTRAINT | (8 << 8)) // SQLITE_CONSTRAINT_UNIQUE, a macro Swift does not import
                #expect(error.sql == "INSERT INTO u VALUES (?)")
                #expect(error.description.contains("UNIQUE constraint failed"))
            }
        }
    }

    @Test func fts5MatchesAndReportsBadQuerySyntax() async throws {
        try await withTemporaryDirectory { dir in
            let db = try Database(path: "\(dir)/t.db")
            try db.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
            try db.execute("INSERT INTO docs VALUES (?)", ["the quick brown fox"])
            try db.execute("INSERT INTO docs VALUES (?)", ["lazy dog"])
            #expect(try db.scalar("SELECT count(*) FROM docs WHERE docs MATCH ?", ["quick"], as: Int.self) == 1)
            do {
                _ = try db.query("SELECT * FROM docs WHERE docs MATCH ?", ["\"unterminated"])
                Issue.record("bad syntax accepted")
            } catch let error as DatabaseError {
                #expect(error.code == SQLITE_ERROR)
                #expect(error.message.contains("syntax") || error.message.contains("unterminated"))
            }
        }
    }

    @Test func migrationsRunOnceAndRefuseADowngrade() async throws {
        try await withTemporaryDirectory { dir in
            var migrator = Migrator()
            migrator.register(version: 1, name: "create", sql: "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
            migrator.register(version: 2, name: "bump", sql: "UPDATE counter SET n = n + 1")
            for _ in 0..<2 {
                let db = try Database(path: "\(dir)/t.db")
                try migrator.migrate(db)
            }
            let db = try Database(path: "\(dir)/t.db")
            #expect(try db.scalar("SELECT n FROM counter", as: Int.self) == 1)
            #expect(try db.scalar("SELECT count(*) FROM schema_migrations", as: Int.self) == 2)
            var older = Migrator()
            older.register(version: 1, name: "create", sql: "SELECT 1")
            #expect(throws: DatabaseError.self) { try older.migrate(db) }
        }
    }

    @Test func theQueueRunsEveryCallOnOneDedicatedThread() async throws {
        try await withTemporaryDirectory { dir in
            let queue = try DatabaseQueue(path: "\(dir)/t.db")
            let a = try await queue.read { _ in UInt(pthread_self()) }
            let b = try await queue.write { db in
                try db.execute("CREATE TABLE x (y INTEGER)")
                return UInt(pthread_self())
            }
            #expect(a == b)
            #expect(try await queue.read { try $0.scalar("PRAGMA journal_mode", as: String.self) } == "wal")
        }
    }
}

@Suite struct SQLiteCLIInteropTests {
    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func aDatabaseWrittenThroughTheWrapperReadsBackInTheCLI() async throws {
        try await withTemporaryDirectory { dir in
            let path = "\(dir)/interop.db"
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute("CREATE TABLE bots (name TEXT PRIMARY KEY, intents INTEGER, note TEXT)")
                try db.execute("CREATE TABLE logs (id INTEGER PRIMARY KEY, bot TEXT REFERENCES bots(name), ms REAL)")
                try db.execute("INSERT INTO bots VALUES (?, ?, ?)", ["alpha", 513, "ünïcode"])
                for i in 0..<10_000 { try db.execute("INSERT INTO logs (bot, ms) VALUES (?, ?)", ["alpha", Double(i) / 4]) }
            }
            // The WAL may hold the rows; the CLI reads through it like any SQLite client.
            let count = try await runProcess(Peer.sqlite3.path!, [path, "SELECT count(*), sum(ms) FROM logs; SELECT note FROM bots;"])
            #expect(count.status == 0, "\(count.stderr)")
            #expect(count.stdout == "10000|12498750.0\nünïcode\n")
            let check = try await runProcess(Peer.sqlite3.path!, [path, "PRAGMA integrity_check; PRAGMA journal_mode;"])
            #expect(check.stdout == "ok\nwal\n")
        }
    }
}
