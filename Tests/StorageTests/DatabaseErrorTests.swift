import Storage
import Testing

@Suite struct DatabaseErrorTests {
    static let schema = """
        CREATE TABLE bots(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE command_logs(id INTEGER PRIMARY KEY, bot_id INTEGER NOT NULL REFERENCES bots(id), body TEXT);
        INSERT INTO bots(id, name) VALUES (1, 'shop');
        """

    @Test func aUniqueViolationCarriesTheConstraintCodeAndItsExtendedCode() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute(Self.schema)
            let error = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO bots(name) VALUES (?)", ["shop"])
            }
            #expect(error?.resultCode == .constraint)
            #expect(error?.extendedResultCode == .constraintUnique)
            #expect(error?.extendedResultCode.rawValue == 2067)
            #expect(error?.isConstraintViolation == true)
            #expect(error?.message == "UNIQUE constraint failed: bots.name")
            #expect(error?.description ==
                "SQLITE_CONSTRAINT_UNIQUE (2067): UNIQUE constraint failed: bots.name; sql: INSERT INTO bots(name) VALUES (?)")
        }
    }

    @Test func notNullAndForeignKeyViolationsHaveTheirOwnExtendedCodes() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute(Self.schema)
            let notNull = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO bots(name) VALUES (?)", [nil])
            }
            #expect(notNull?.extendedResultCode == .constraintNotNull)
            // Only raised because the wrapper turns foreign_keys on.
            let foreignKey = #expect(throws: DatabaseError.self) {
                try db.execute("INSERT INTO command_logs(bot_id, body) VALUES (?, ?)", [99, "hi"])
            }
            #expect(foreignKey?.extendedResultCode == .constraintForeignKey)
        }
    }

    @Test func aPrimaryCodeMatchesItsExtendedCodesInASwitch() {
        func kind(_ code: ResultCode) -> String {
            switch code {
            case .constraintUnique: "unique"
            case .constraint: "other constraint"
            case .busy: "busy"
            default: "other"
            }
        }
        #expect(kind(.constraintUnique) == "unique")
        #expect(kind(.constraintForeignKey) == "other constraint")
        #expect(kind(.busySnapshot) == "busy")
        #expect(kind(.error) == "other")
        #expect(ResultCode.constraintUnique != .constraint)
        #expect(ResultCode.constraintUnique.primary == .constraint)
    }

    @Test func theDescriptionIsOneLogLineWithoutBoundValues() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute(Self.schema)
            let error = #expect(throws: DatabaseError.self) {
                try db.execute("""
                    INSERT INTO bots(name)
                    VALUES (?)
                    """, ["shop"])
            }
            let line = try #require(error?.description)
            #expect(!line.contains("\n"))
            #expect(line.hasSuffix("sql: INSERT INTO bots(name) VALUES (?)"))
            #expect(ResultCode(rawValue: 10 | 99 << 8).description == "SQLITE_IOERR+99 (25354)")
        }
    }

    @Test func openingADirectoryFailsWithCantOpen() async throws {
        try await withDatabasePath { path in
            let directory = String(path.dropLast("/botvisor.db".count))
            let error = #expect(throws: DatabaseError.self) { try Database(path: directory) }
            #expect(error?.resultCode == .cantOpen)
        }
    }
}
