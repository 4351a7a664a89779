import Storage
import Testing

@Suite struct MigratorTests {
    static var migrator: Migrator {
        var migrator = Migrator()
        // Registered out of order on purpose: 2 needs 1's table.
        migrator.register(version: 2, name: "seed first bot") { db in
            try db.execute("INSERT INTO bots(name) VALUES (?)", ["shop"])
        }
        migrator.register(version: 1, name: "create bots", sql: """
            CREATE TABLE bots(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE jobs(id INTEGER PRIMARY KEY, bot_id INTEGER REFERENCES bots(id));
            """)
        return migrator
    }

    @Test func migrationsRunOnceInVersionOrderAcrossOpens() async throws {
        try await withDatabasePath { path in
            do {
                let db = try Database(path: path)
                #expect(try Self.migrator.migrate(db) == [1, 2])
            }
            let db = try Database(path: path)
            #expect(try Self.migrator.migrate(db) == [])
            #expect(try integer(db, "SELECT count(*) FROM schema_migrations") == 2)
            #expect(try Self.migrator.appliedVersions(db) == [1, 2])
            #expect(try db.query("SELECT name FROM schema_migrations ORDER BY version").map { $0[0] }
                    == [.text("create bots"), .text("seed first bot")])
            // The side effect of migration 2 happened exactly once.
            #expect(try integer(db, "SELECT count(*) FROM bots") == 1)
        }
    }

    @Test func aLaterMigrationIsAppliedOnTheNextStart() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try Self.migrator.migrate(db)
            var newer = Self.migrator
            newer.register(version: 3, name: "bot tokens", sql: "ALTER TABLE bots ADD COLUMN token BLOB")
            #expect(try newer.migrate(db) == [3])
            #expect(try integer(db, "SELECT count(*) FROM pragma_table_info('bots') WHERE name = 'token'") == 1)
        }
    }

    @Test func aDatabaseFromANewerBuildIsRefused() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            var newer = Self.migrator
            newer.register(version: 3, name: "bot tokens", sql: "ALTER TABLE bots ADD COLUMN token BLOB")
            try newer.migrate(db)
            let error = #expect(throws: MigrationError.self) { try Self.migrator.migrate(db) }
            #expect(error?.unknownVersions == [3])
            #expect(error?.latestKnownVersion == 2)
            #expect(error?.description.contains("refusing to downgrade") == true)
        }
    }

    @Test func aFailingMigrationLeavesNeitherItsChangesNorItsRecord() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            var broken = Self.migrator
            broken.register(version: 3, name: "half done", sql: """
                CREATE TABLE metrics(bot_id INTEGER, value REAL);
                INSERT INTO no_such_table VALUES (1);
                """)
            let error = #expect(throws: DatabaseError.self) { try broken.migrate(db) }
            #expect(error?.message == "no such table: no_such_table")
            #expect(try Self.migrator.appliedVersions(db) == [1, 2])
            #expect(try integer(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'metrics'") == 0)

            var fixed = Self.migrator
            fixed.register(version: 3, name: "metrics", sql: "CREATE TABLE metrics(bot_id INTEGER, value REAL)")
            #expect(try fixed.migrate(db) == [3])
        }
    }
}
