import CSQLite

/// One SQLite connection: WAL, a busy timeout, foreign keys on, and a cache
/// of prepared statements keyed by SQL. Deliberately not `Sendable`: it is
/// opened with `SQLITE_OPEN_NOMUTEX` and used by one thread at a time, the
/// thread of the `DatabaseQueue` that owns it.
public final class Database {
    let handle: OpaquePointer
    public let path: String
    private var cache: [String: Statement] = [:]

    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        /// Takes the write lock at BEGIN, so a transaction never fails half-way on
        /// SQLITE_BUSY while upgrading a read lock (https://sqlite.org/lang_transaction.html).
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    /// Opens (creating when `readOnly` is false) the database at `path`.
    public init(path: String, readOnly: Bool = false, busyTimeout: Duration = .seconds(5)) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw DatabaseError(code: rc, message: "\(message): \(path)")
        }
        handle = db
        self.path = path
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: ms))
        sqlite3_extended_result_codes(db, 1)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            // WAL + NORMAL: durable across application crashes, fsync only at checkpoints
            // (https://sqlite.org/pragma.html#pragma_synchronous).
            try execute("PRAGMA synchronous=NORMAL")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> DatabaseError {
        DatabaseError(code: rc, extendedCode: sqlite3_extended_errcode(handle),
                      message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements without parameters (a script).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(code: rc, extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs one statement with positional parameters, through the statement cache.
    public func execute(_ sql: String, _ bindings: [any DatabaseValueConvertible]) throws {
        let stmt = try cachedStatement(sql)
        try stmt.bind(bindings)
        defer { stmt.reset() }
        while try stmt.step() {}
    }

    /// A prepared statement from the cache (prepared once per SQL text).
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let stmt = cache[sql] { return stmt }
        let stmt = try Statement(database: self, sql: sql, persistent: true)
        cache[sql] = stmt
        return stmt
    }

    /// A statement outside the cache, for SQL that is built once.
    public func makeStatement(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql, persistent: false)
    }

    public var cachedStatementCount: Int { cache.count }

    /// Every row of a query, copied out.
    public func query(_ sql: String, _ bindings: [any DatabaseValueConvertible] = []) throws -> [Row] {
        let stmt = try cachedStatement(sql)
        try stmt.bind(bindings)
        defer { stmt.reset() }
        let columns = (0..<stmt.columnCount).map(stmt.columnName)
        var rows: [Row] = []
        while try stmt.step() {
            rows.append(Row(columns: columns, values: (0..<columns.count).map(stmt.value)))
        }
        return rows
    }

    /// The first row, if any.
    public func first(_ sql: String, _ bindings: [any DatabaseValueConvertible] = []) throws -> Row? {
        let stmt = try cachedStatement(sql)
        try stmt.bind(bindings)
        defer { stmt.reset() }
        guard try stmt.step() else { return nil }
        let columns = (0..<stmt.columnCount).map(stmt.columnName)
        return Row(columns: columns, values: (0..<columns.count).map(stmt.value))
    }

    /// The first column of the first row converted to `T`.
    public func scalar<T: DatabaseValueConvertible>(_ sql: String, _ bindings: [any DatabaseValueConvertible] = [], as type: T.Type = T.self) throws -> T? {
        try first(sql, bindings).flatMap { T(databaseValue: $0[0]) }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a transaction: committed when it returns, rolled back when
    /// it throws. Nested calls become savepoints.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: (Database) throws -> T) throws -> T {
        if isInTransaction {
            try execute("SAVEPOINT nested")
            do {
                let result = try body(self)
                try execute("RELEASE nested")
                return result
            } catch {
                try? execute("ROLLBACK TO nested")
                try? execute("RELEASE nested")
                throw error
            }
        }
        try execute("BEGIN \(kind.rawValue)")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }
}
