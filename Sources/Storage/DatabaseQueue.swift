import IOCore

/// Owns one `Database` and runs every call to it on a dedicated thread (its
/// executor), so SQLite's blocking calls never touch Swift's cooperative pool.
public actor DatabaseQueue {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let database: Database
    public nonisolated let path: String

    public init(path: String, readOnly: Bool = false, busyTimeout: Duration = .seconds(5), migrator: Migrator? = nil) throws {
        executor = ThreadExecutor(name: "sqlite")
        let db = try Database(path: path, readOnly: readOnly, busyTimeout: busyTimeout)
        if let migrator { try migrator.migrate(db) }
        database = db
        self.path = path
    }

    /// Runs `body` with the connection, outside any transaction it does not start itself.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try body(database)
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try database.transaction(.immediate, body)
    }
}
