import Storage
import Testing

@Suite struct FTS5Tests {
    @Test func fts5IndexesTextAndMatchesIt() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE VIRTUAL TABLE command_logs_fts USING fts5(body)")
            try db.transaction { db in
                for body in ["/buy sword for Grüße", "/sell shield", "/buy potion", "hello wörld"] {
                    try db.execute("INSERT INTO command_logs_fts(body) VALUES (?)", [body])
                }
            }
            let search = "SELECT rowid FROM command_logs_fts WHERE command_logs_fts MATCH ? ORDER BY rowid"
            #expect(try db.query(search, ["buy"]).map { try $0.decode(0, as: Int.self) } == [1, 3])
            #expect(try db.query(search, ["sh*"]).map { try $0.decode(0, as: Int.self) } == [2])
            #expect(try db.query(search, ["wörld"]).map { try $0.decode(0, as: Int.self) } == [4])
            #expect(try db.query(search, ["buy NOT potion"]).map { try $0.decode(0, as: Int.self) } == [1])
        }
    }

    @Test func anInvalidMatchExpressionIsADatabaseErrorWithAMessage() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE VIRTUAL TABLE command_logs_fts USING fts5(body)")
            try db.execute("INSERT INTO command_logs_fts(body) VALUES (?)", ["hello"])
            let search = "SELECT rowid FROM command_logs_fts WHERE command_logs_fts MATCH ?"
            let dangling = #expect(throws: DatabaseError.self) { try db.query(search, ["hello AND"]) }
            #expect(dangling?.resultCode == .error)
            #expect(dangling?.message.hasPrefix("fts5: syntax error") == true)
            let unterminated = #expect(throws: DatabaseError.self) { try db.query(search, ["\"hello"]) }
            #expect(unterminated?.resultCode == .error)
            #expect(unterminated?.message == "unterminated string")
            // The statement recovers for the next, valid query.
            #expect(try db.query(search, ["hello"]).count == 1)
        }
    }
}
