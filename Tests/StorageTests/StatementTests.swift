import Storage
import Testing

@Suite struct StatementTests {
    @Test func theCacheHandsOutTheSameStatementForTheSameSQL() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v INTEGER)")
            let insert = try db.cachedStatement("INSERT INTO t(v) VALUES (?)")
            for v in 0..<100 { try db.execute("INSERT INTO t(v) VALUES (?)", [v]) }
            #expect(try db.cachedStatement("INSERT INTO t(v) VALUES (?)") === insert)
            #expect(try db.cachedStatement("SELECT v FROM t") !== insert)
            #expect(try integer(db, "SELECT count(*) FROM t") == 100)
        }
    }

    @Test func aCachedStatementComesBackResetWithClearedBindings() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            let select = try db.cachedStatement("SELECT v FROM t WHERE v >= ? ORDER BY v")
            try select.bind(2, at: 1)
            #expect(try select.step())
            #expect(select.int(0) == 2)
            // Left mid-way; asking again restarts it, with ? back to NULL (no rows).
            let again = try db.cachedStatement("SELECT v FROM t WHERE v >= ? ORDER BY v")
            #expect(again === select)
            #expect(try !again.step())
            #expect(try again.rows([1]).map { try $0.decode(0, as: Int.self) } == [1, 2, 3])
        }
    }

    @Test func namedParametersBindByName() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE bots(name TEXT, shard INTEGER)")
            try db.execute("INSERT INTO bots VALUES (:name, @shard)", [":name": "shop", "@shard": 3])
            let statement = try db.prepare("INSERT INTO bots VALUES (:name, :shard)")
            try statement.bind("news", named: "name")
            try statement.bind(4, named: ":shard")
            try statement.execute()
            let rows = try db.query("SELECT name, shard FROM bots WHERE shard > :min ORDER BY shard", ["min": 0])
            #expect(rows.map { $0["name"] } == [.text("shop"), .text("news")])
            #expect(rows.map { $0["shard"] } == [.integer(3), .integer(4)])
            let unknown = #expect(throws: DatabaseError.self) { try statement.bind(1, named: "nope") }
            #expect(unknown?.resultCode == .range)
        }
    }

    @Test func aWrongNumberOfBindingsIsAnErrorNotASilentNull() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(a, b)")
            let tooFew = #expect(throws: DatabaseError.self) { try db.execute("INSERT INTO t VALUES (?, ?)", [1]) }
            #expect(tooFew?.resultCode == .range)
            #expect(tooFew?.sql == "INSERT INTO t VALUES (?, ?)")
            #expect(throws: DatabaseError.self) { try db.execute("INSERT INTO t VALUES (?, ?)", [1, 2, 3]) }
            #expect(throws: DatabaseError.self) { try db.execute("INSERT INTO t VALUES (:a, :b)", [":a": 1]) }
            #expect(try integer(db, "SELECT count(*) FROM t") == 0)
        }
    }

    @Test func aSingleStatementCallRefusesASecondStatement() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v)")
            let error = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO t VALUES (?); DELETE FROM t", [1])
            }
            #expect(error?.resultCode == .misuse)
            let broken = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO t VALUES (?); garbage", [1])
            }
            #expect(broken?.resultCode == .misuse)
            // A trailing comment is not a statement.
            try db.execute("INSERT INTO t VALUES (?); -- the one row", [1])
            #expect(try integer(db, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func aScriptRunsEveryStatementAndNamesTheOneThatFailed() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("""
                -- two tables and a row
                CREATE TABLE a(x);
                CREATE TABLE b(y);
                INSERT INTO a VALUES ('ö');
                """)
            #expect(try db.first("SELECT x FROM a")?[0] == .text("ö"))
            let error = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO b VALUES (1); INSERT INTO missing VALUES (2); INSERT INTO b VALUES (3)")
            }
            #expect(error?.resultCode == .error)
            #expect(error?.message == "no such table: missing")
            #expect(error?.sql?.hasPrefix("INSERT INTO missing VALUES (2);") == true)
            // Statements before the failure ran, the ones after did not.
            #expect(try integer(db, "SELECT count(*) FROM b") == 1)
        }
    }

    @Test func changesAndLastInsertRowIDDescribeTheLastWrite() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            try db.execute("INSERT INTO t(v) VALUES (?)", ["a"])
            try db.execute("INSERT INTO t(v) VALUES (?)", ["b"])
            #expect(db.lastInsertRowID == 2)
            try db.execute("UPDATE t SET v = ?", ["c"])
            #expect(db.changes == 2)
        }
    }
}
