import IOCore

/// An actor that owns one `Database` on a dedicated thread, so SQLite's
/// blocking calls never run on Swift's cooperative pool.
///
/// Its executor is a `ThreadExecutor`: every method, and the open in `init`,
/// runs on that one thread, one at a time, which is the serialization that
/// `SQLITE_OPEN_NOMUTEX` asks of us. The thread lives as long as the process
/// (a `ThreadExecutor` never stops), so open few queues and keep them.
///
///     let queue = try await DatabaseQueue(path: path)
///     try await queue.write { db in try db.execute("INSERT ...", [...]) }
///     let count = try await queue.read { db in try db.first("SELECT count(*) FROM bots")?.decode(0, as: Int.self) }
public actor DatabaseQueue {
    /// Opening happens in `init`, so `.opening` is never seen by a method.
    private enum State {
        case opening
        case open(Database)
        case closed
    }

    private var state: State = .opening
    private let executor: ThreadExecutor
    /// The path given to `init`.
    public nonisolated let path: String

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Opens the database at `path` on a new dedicated thread; see `Database.init`.
    public init(path: String, flags: Database.OpenFlags = .readWriteCreate, busyTimeout: Duration = .seconds(5)) async throws {
        self.path = path
        executor = ThreadExecutor()
        // SE-0327: once every stored property is set, an async actor initializer
        // hops to the actor's executor, so the open below already runs on our thread.
        state = .open(try Database(path: path, flags: flags, busyTimeout: busyTimeout))
    }

    private func database() throws -> Database {
        guard case .open(let db) = state else {
            throw DatabaseError(.misuse, message: "database queue \(path) is closed")
        }
        return db
    }

    /// Runs `body` in a deferred transaction with writes refused (`PRAGMA query_only`, or a read-only
    /// connection), so it sees one consistent snapshot and cannot change anything by mistake.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        let db = try database()
        // A read-only connection refuses writes by itself, and the pragma is not free: setting a flag pragma
        // expires every prepared statement of the connection (https://www.sqlite.org/pragma.html, "expire"), so
        // each read compiled its SELECT again (a user's last 50: 0.07 -> 0.21 ms of SQLite, Benchmarks/query.sh).
        if db.isReadOnly { return try db.transaction(.deferred, body) }
        // query_only makes writes fail with SQLITE_READONLY
        // (https://www.sqlite.org/pragma.html#pragma_query_only).
        try db.execute("PRAGMA query_only = 1", [])
        defer { try? db.execute("PRAGMA query_only = 0", []) }
        return try db.transaction(.deferred, body)
    }

    /// Runs `body` in an IMMEDIATE transaction: committed when it returns, rolled back when it throws.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try database().transaction(.immediate, body)
    }

    /// Runs `body` outside any transaction, for what cannot run in one
    /// (VACUUM, `PRAGMA wal_checkpoint`) or manages its own.
    public func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try body(database())
    }

    /// Applies `migrator`'s pending migrations; returns the versions applied.
    @discardableResult
    public func migrate(_ migrator: Migrator) throws -> [Int] {
        try migrator.migrate(database())
    }

    /// Closes the connection; later calls throw SQLITE_MISUSE.
    public func close() {
        if case .open(let db) = state { db.close() }
        state = .closed
    }
}
