import Storage
import Testing

/// `bind(text:at:)` and `bind(integer:at:)` store what `bind(_:at:)` stores.
@Suite struct StatementTypedBindingTests {
    @Test func textAndIntegersBindAsTheGenericBindingDoes() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(k INTEGER, v, n)")
            let values: [String?] = ["plain", "", nil, "nul\u{0}inside", "é \u{1F600}"]
            let typed = try db.cachedStatement("INSERT INTO t(k, v, n) VALUES (1, ?, ?)")
            let generic = try db.cachedStatement("INSERT INTO t(k, v, n) VALUES (2, ?, ?)")
            for (i, value) in values.enumerated() {
                typed.reset()
                try typed.bind(text: value, at: 1)
                try typed.bind(integer: Int64(i) - 2, at: 2)
                try typed.step()
                generic.reset()
                try generic.bind(value, at: 1)
                try generic.bind(Int64(i) - 2, at: 2)
                try generic.step()
            }
            func column(_ k: Int) throws -> [String] {
                try db.query("SELECT typeof(v) || ':' || hex(v) || ':' || typeof(n) || ':' || n FROM t WHERE k = ? ORDER BY rowid", [k])
                    .map { try $0.decode(0, as: String.self) }
            }
            let stored = try column(1)
            #expect(stored.count == values.count)
            #expect(stored == (try column(2)))
            #expect(stored[2] == "null::integer:0")
            #expect(stored[3] == "text:6E756C00696E73696465:integer:1")
        }
    }

    @Test func aParameterOutOfRangeIsAnError() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            let select = try db.cachedStatement("SELECT ?")
            #expect(throws: DatabaseError.self) { try select.bind(text: "x", at: 2) }
            #expect(throws: DatabaseError.self) { try select.bind(integer: 1, at: 0) }
        }
    }
}
