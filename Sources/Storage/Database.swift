import CSQLite

/// One SQLite connection.
///
/// Deliberately not `Sendable`: it is opened with `SQLITE_OPEN_NOMUTEX`, so
/// SQLite does no locking of its own and the connection must be used by one
/// thread at a time. `DatabaseQueue` owns one on a dedicated thread; use that
/// from async code.
///
///     let db = try Database(path: "/var/lib/botvisor/botvisor.db")
///     try db.transaction { db in
///         try db.execute("INSERT INTO bots(name) VALUES (?)", ["shop"])
///     }
public final class Database {
    /// Which `sqlite3_open_v2` flags to open with (https://www.sqlite.org/c3ref/open.html).
    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        public static let uri = OpenFlags(rawValue: SQLITE_OPEN_URI)
        public static let readWriteCreate: OpenFlags = [.readWrite, .create]
    }

    /// The path given to `init`.
    public let path: String
    /// Opened with `.readOnly`: every write fails with SQLITE_READONLY whatever the statement.
    public let isReadOnly: Bool
    private var connection: OpaquePointer?
    private var statementCache: [String: Statement] = [:]
    /// How many `transaction` calls are open inside the outermost one.
    var savepointDepth = 0

    /// Opens (and with `.create`, creates) the database at `path` and configures it:
    /// WAL journal, `synchronous=NORMAL`, foreign keys enforced, and `busyTimeout`
    /// for how long to wait on another connection's lock before `SQLITE_BUSY`.
    public init(path: String, flags: OpenFlags = .readWriteCreate, busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        isReadOnly = flags.contains(.readOnly)
        var connection: OpaquePointer?
        // We serialize access ourselves (one thread per connection), so SQLite's
        // per-connection mutex is pure cost: https://www.sqlite.org/threadsafe.html
        let rc = sqlite3_open_v2(path, &connection, flags.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let connection else {
            let error = DatabaseError(connection: connection, code: rc, sql: nil)
            // open.html: "a database connection handle is usually returned ... even if an error occurs";
            // it must still be closed.
            sqlite3_close_v2(connection)
            throw error
        }
        self.connection = connection
        self.busyTimeout = busyTimeout
        applyBusyTimeout()
        // Errors then carry SQLITE_CONSTRAINT_UNIQUE rather than SQLITE_CONSTRAINT
        // (https://www.sqlite.org/c3ref/extended_result_codes.html).
        sqlite3_extended_result_codes(connection, 1)
        do {
            if !flags.contains(.readOnly) {
                // WAL lets readers run beside the one writer, and it is persistent in the
                // file, so read-only connections inherit it (https://www.sqlite.org/wal.html).
                try execute("PRAGMA journal_mode = WAL")
            }
            // In WAL mode NORMAL is still corruption-safe; a power loss may only
            // drop the last commits (https://www.sqlite.org/pragma.html#pragma_synchronous).
            try execute("PRAGMA synchronous = NORMAL")
            // Foreign keys are off by default, per connection
            // (https://www.sqlite.org/foreignkeys.html §2).
            try execute("PRAGMA foreign_keys = ON")
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Finalizes the cached statements and closes the connection. Later use is a programming error.
    ///
    /// `sqlite3_close_v2` lets statements still held elsewhere finish their
    /// life; the connection goes away with the last of them
    /// (https://www.sqlite.org/c3ref/close.html).
    public func close() {
        guard let connection else { return }
        statementCache.removeAll()
        sqlite3_close_v2(connection)
        self.connection = nil
    }

    public var isClosed: Bool { connection == nil }

    /// The open connection (internal: the backup API in `Database+Backup.swift` takes two of them).
    var handle: OpaquePointer {
        guard let connection else { preconditionFailure("Database \(path) used after close()") }
        return connection
    }

    /// How long a statement waits on another connection's lock before failing with
    /// `SQLITE_BUSY` (https://www.sqlite.org/c3ref/busy_timeout.html).
    public var busyTimeout: Duration {
        didSet { applyBusyTimeout() }
    }

    private func applyBusyTimeout() {
        let (seconds, attoseconds) = busyTimeout.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))
    }

    // MARK: Statements

    /// Compiles one statement that the caller owns.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connection: handle, sql: sql, persistent: false)
    }

    /// The compiled statement for `sql`, compiled on first use and kept for the
    /// connection's life. It comes back reset with its bindings cleared.
    ///
    /// The same object is handed to every caller of the same SQL, so do not
    /// ask for it again while iterating over its rows.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        let statement = try Statement(connection: handle, sql: sql, persistent: true)
        statementCache[sql] = statement
        return statement
    }

    /// Runs every statement in `sql` in order (a migration, a schema script).
    /// The first failure stops the script and names the statement that failed.
    public func execute(_ sql: String) throws {
        let connection = handle
        try sql.withCString { start in
            var cursor = start
            while cursor.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v3(connection, cursor, -1, 0, &statement, &tail)
                guard rc == SQLITE_OK, let tail else {
                    // The statement's end is unknown when it does not compile: report the rest of the script.
                    let rest = String(cString: cursor).drop { $0.isWhitespace }
                    throw DatabaseError(connection: connection, code: rc, sql: String(rest))
                }
                defer { sqlite3_finalize(statement) }
                if let statement {
                    let text = String(String(decoding: UnsafeRawBufferPointer(start: cursor, count: tail - cursor), as: UTF8.self)
                        .drop { $0.isWhitespace })
                    guard sqlite3_bind_parameter_count(statement) == 0 else {
                        throw DatabaseError(.range, message: "a script cannot take parameters; use execute(_:_:)", sql: text)
                    }
                    var step = sqlite3_step(statement)
                    while step == SQLITE_ROW { step = sqlite3_step(statement) }
                    guard step == SQLITE_DONE else {
                        throw DatabaseError(connection: connection, code: step, sql: text)
                    }
                }
                cursor = tail
            }
        }
    }

    /// Runs one statement with `bindings`, through the statement cache.
    public func execute(_ sql: String, _ bindings: Bindings) throws {
        try cachedStatement(sql).execute(bindings)
    }

    /// Every row of one statement, through the statement cache.
    public func query(_ sql: String, _ bindings: Bindings = []) throws -> [Row] {
        try cachedStatement(sql).rows(bindings)
    }

    /// The first row of one statement, or nil when it yields none.
    public func first(_ sql: String, _ bindings: Bindings = []) throws -> Row? {
        let statement = try cachedStatement(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return Row(columnNames: statement.columnNames, values: (0..<statement.columnCount).map(statement.value))
    }

    // MARK: Connection state

    /// Rows changed by the last INSERT, UPDATE or DELETE (https://www.sqlite.org/c3ref/changes.html).
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last successful INSERT on this connection (https://www.sqlite.org/c3ref/last_insert_rowid.html).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True between BEGIN and COMMIT/ROLLBACK (https://www.sqlite.org/c3ref/get_autocommit.html).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}
