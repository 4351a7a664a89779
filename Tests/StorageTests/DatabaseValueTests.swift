import Storage
import Testing

@Suite struct DatabaseValueTests {
    static let values: [DatabaseValue] = [
        .null,
        .integer(0), .integer(Int64.max), .integer(Int64.min),
        .real(3.25), .real(-1e300), .real(Double.leastNonzeroMagnitude),
        .text(""), .text("plain"), .text("Grüße 🤖 日本語 \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"), .text("nul\u{0}inside"),
        .blob([]), .blob([0]), .blob([0, 1, 0, 255, 0, 0]),
    ]

    @Test(arguments: values)
    func aValueReadsBackExactlyAsItWasBound(value: DatabaseValue) async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            // No declared type, so no affinity: SQLite stores exactly what we bind.
            try db.execute("CREATE TABLE t(v)")
            try db.execute("INSERT INTO t(v) VALUES (?)", [value])
            let row = try #require(try db.first("SELECT v, typeof(v) FROM t"))
            #expect(row[0] == value)
            #expect(try row.decode(1, as: String.self) == value.storageClass)
        }
    }

    @Test func typedBindingsRoundTripThroughTypedColumnReads() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(i, i64, d, s, b, yes, no, missing)")
            let bytes: [UInt8] = [0, 0, 7, 0]
            let nothing: String? = nil
            try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [Int.min, Int64(1) << 40, 0.1, "ünï\u{0}cödé", bytes, true, false, nothing])

            let statement = try db.prepare("SELECT * FROM t")
            #expect(try statement.step())
            #expect(statement.int(0) == Int.min)
            #expect(statement.int64(1) == 1 << 40)
            #expect(statement.double(2) == 0.1)
            #expect(statement.string(3) == "ünï\u{0}cödé")
            #expect(statement.blob(4) == bytes)
            #expect(statement.bool(5) == true)
            #expect(statement.bool(6) == false)
            #expect(statement.isNull(7))
            #expect(!statement.isNull(6))
            #expect(statement.string(7) == nil)
            #expect(statement.blob(7) == nil)
            #expect(statement.value(7) == .null)
            #expect(statement.columnNames == ["i", "i64", "d", "s", "b", "yes", "no", "missing"])
            #expect(try !statement.step())

            let row = try #require(try db.first("SELECT * FROM t"))
            #expect(try row.decode("i", as: Int.self) == Int.min)
            #expect(try row.decode("i64", as: Int64.self) == 1 << 40)
            #expect(try row.decode("d", as: Double.self) == 0.1)
            #expect(try row.decode("s", as: String.self) == "ünï\u{0}cödé")
            #expect(try row.decode("b", as: [UInt8].self) == bytes)
            #expect(try row.decode("yes", as: Bool.self))
            #expect(try row.decode("missing", as: String?.self) == nil)
            #expect(try row.decode("s", as: String?.self) == "ünï\u{0}cödé")
        }
    }

    @Test func emptyTextAndEmptyBlobAreNotNull() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(s, b)")
            try db.execute("INSERT INTO t VALUES (?, ?)", ["", [UInt8]()])
            let statement = try db.prepare("SELECT s, b, s IS NULL, b IS NULL FROM t")
            #expect(try statement.step())
            #expect(statement.string(0) == "")
            #expect(statement.blob(1) == [])
            #expect(statement.int(2) == 0)
            #expect(statement.int(3) == 0)
        }
    }

    @Test func decodingAValueIntoTheWrongTypeIsAMismatch() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            let row = try #require(try db.first("SELECT 'seven' AS n, 2.5 AS r, NULL AS z"))
            let text = #expect(throws: DatabaseError.self) { try row.decode("n", as: Int.self) }
            #expect(text?.resultCode == .mismatch)
            #expect(text?.message == "column n holds text, not Int")
            #expect(throws: DatabaseError.self) { try row.decode("r", as: Int.self) }
            #expect(throws: DatabaseError.self) { try row.decode("z", as: String.self) }
            let missing = #expect(throws: DatabaseError.self) { try row.decode("absent", as: Int.self) }
            #expect(missing?.resultCode == .range)
            // An integer is a fine Double; the reverse would lose the fraction.
            #expect(try db.first("SELECT 2")?.decode(0, as: Double.self) == 2.0)
        }
    }
}
