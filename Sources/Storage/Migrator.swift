/// Numbered schema migrations, applied in order at start, each in its own
/// transaction, each exactly once (recorded in `schema_migrations`).
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public private(set) var migrations: [Migration] = []

    public init() {}

    public mutating func register(version: Int, name: String, sql: String) {
        precondition(migrations.last.map { $0.version < version } ?? true, "migrations must be registered in increasing order")
        migrations.append(Migration(version: version, name: name, sql: sql))
    }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public func migrate(_ db: Database) throws -> [Int] {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            )
            """)
        let current = try db.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", as: Int.self) ?? 0
        if let newest = migrations.last?.version, current > newest {
            throw DatabaseError(code: 1, message: "the database is at schema version \(current), newer than this build knows (\(newest)); refusing to downgrade")
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            try db.transaction(.immediate) { db in
                try db.execute(migration.sql)
                try db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [migration.version, migration.name])
            }
            applied.append(migration.version)
        }
        return applied
    }
}
