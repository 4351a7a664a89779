/// Numbered schema migrations, applied in order at start, each exactly once.
///
/// Each migration runs in its own IMMEDIATE transaction together with the
/// row that records it in `schema_migrations`, so a migration either happened
/// and is recorded or did not happen at all, even when two processes start at
/// once. A database that records a migration this build does not know (it was
/// written by a newer build) is refused with `MigrationError`.
///
/// Because of the transaction, a migration cannot switch `PRAGMA foreign_keys`
/// (a no-op inside a transaction, https://www.sqlite.org/foreignkeys.html §2);
/// rebuild tables in an order that keeps references valid instead.
///
///     var migrator = Migrator()
///     migrator.register(version: 1, name: "bots", sql: "CREATE TABLE bots(...)")
///     try migrator.migrate(db)
public struct Migrator: Sendable {
    /// One registered migration.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        let apply: @Sendable (Database) throws -> Void
    }

    public private(set) var migrations: [Migration] = []

    public init() {}

    /// Registers a migration given as an SQL script.
    public mutating func register(version: Int, name: String, sql: String) {
        register(version: version, name: name) { db in try db.execute(sql) }
    }

    /// Registers a migration given as code (for data fix-ups that need Swift).
    public mutating func register(version: Int, name: String, _ apply: @escaping @Sendable (Database) throws -> Void) {
        precondition(version > 0, "migration versions start at 1")
        precondition(!migrations.contains { $0.version == version }, "migration version \(version) registered twice")
        migrations.append(Migration(version: version, name: name, apply: apply))
        migrations.sort { $0.version < $1.version }
    }

    /// Applies every registered migration the database has not recorded yet, in
    /// version order, and returns the versions it applied.
    @discardableResult
    public func migrate(_ db: Database) throws -> [Int] {
        try db.transaction(.immediate) { db in
            try db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                )
                """)
        }
        let known = Set(migrations.map(\.version))
        let unknown = try appliedVersions(db).filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw MigrationError(unknownVersions: unknown, latestKnownVersion: migrations.last?.version ?? 0, path: db.path)
        }
        var applied: [Int] = []
        for migration in migrations {
            let ran = try db.transaction(.immediate) { db -> Bool in
                // Checked again under the write lock: another process may have
                // applied it since we looked.
                let recorded = try db.first("SELECT 1 FROM schema_migrations WHERE version = ?", [migration.version])
                guard recorded == nil else { return false }
                try migration.apply(db)
                try db.execute("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", [migration.version, migration.name])
                return true
            }
            if ran { applied.append(migration.version) }
        }
        return applied
    }

    /// The versions recorded in `db`, ascending.
    public func appliedVersions(_ db: Database) throws -> [Int] {
        try db.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode(0) }
    }
}
