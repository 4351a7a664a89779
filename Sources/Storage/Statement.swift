import CSQLite

/// A prepared SQL statement (`sqlite3_stmt`) of one `Database`.
///
/// Not `Sendable`, like its connection. Parameters are bound by 1-based index
/// or by name, columns are read by 0-based index, exactly as in SQLite's C API
/// (https://www.sqlite.org/c3ref/bind_blob.html, https://www.sqlite.org/c3ref/column_blob.html).
///
///     let insert = try db.cachedStatement("INSERT INTO logs(bot, body) VALUES (?, ?)")
///     for entry in batch { try insert.execute([entry.bot, entry.body]) }
public final class Statement {
    /// The text of this one statement.
    public let sql: String
    let handle: OpaquePointer
    var connection: OpaquePointer { sqlite3_db_handle(handle) }

    /// Compiles the single statement in `sql`; more than one statement is a misuse.
    init(connection: OpaquePointer, sql: String, persistent: Bool) throws {
        self.sql = sql
        // https://www.sqlite.org/c3ref/c_prepare_normalize.html: PERSISTENT tells
        // SQLite the statement lives long, so it avoids its lookaside memory.
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        var statement: OpaquePointer?
        var extra: OpaquePointer?
        var extraRC = SQLITE_OK
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            // https://www.sqlite.org/c3ref/prepare.html: passing the length including
            // the NUL terminator spares SQLite a copy.
            let rc = sqlite3_prepare_v3(connection, text, Int32(sql.utf8.count + 1), flags, &statement, &tail)
            guard rc == SQLITE_OK, let tail, tail.pointee != 0 else { return rc }
            // Whitespace and comments after the statement compile to no statement at
            // all; anything else (even broken SQL) would be silently ignored.
            extraRC = sqlite3_prepare_v3(connection, tail, -1, 0, &extra, nil)
            return rc
        }
        guard rc == SQLITE_OK else {
            sqlite3_finalize(statement)
            throw DatabaseError(connection: connection, code: rc, sql: sql)
        }
        guard extra == nil, extraRC == SQLITE_OK else {
            sqlite3_finalize(extra)
            sqlite3_finalize(statement)
            throw DatabaseError(.misuse, message: "one statement expected; use execute(_:) for scripts", sql: sql)
        }
        guard let statement else {
            throw DatabaseError(.misuse, message: "no statement in the SQL text", sql: sql)
        }
        handle = statement
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// How many parameters the statement has (the largest index, https://www.sqlite.org/c3ref/bind_parameter_count.html).
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// Binds `value` to the parameter at `index`, counting from 1.
    public func bind(_ value: (any DatabaseValueConvertible)?, at index: Int) throws {
        try bind(value?.databaseValue ?? .null, at: Int32(index))
    }

    /// Binds `value` to the parameter named `name` (`:name`, `@name` or `$name`; a bare name means `:name`).
    public func bind(_ value: (any DatabaseValueConvertible)?, named name: String) throws {
        let hasPrefix = name.first.map { ":@$".contains($0) } ?? false
        let index = sqlite3_bind_parameter_index(handle, hasPrefix ? name : ":" + name)
        guard index > 0 else {
            throw DatabaseError(.range, message: "no parameter named \(name)", sql: sql)
        }
        try bind(value?.databaseValue ?? .null, at: index)
    }

    /// Replaces every binding with `bindings`, which must supply each parameter exactly once.
    public func bind(_ bindings: Bindings) throws {
        clearBindings()
        guard bindings.count == parameterCount else {
            throw DatabaseError(.range, message: "statement has \(parameterCount) parameters, \(bindings.count) values given", sql: sql)
        }
        switch bindings.storage {
        case .positional(let values):
            for (offset, value) in values.enumerated() {
                try bind(value, at: Int32(offset + 1))
            }
        case .named(let values):
            for (name, value) in values {
                try bind(value, named: name)
            }
        }
    }

    /// Sets every parameter back to NULL (https://www.sqlite.org/c3ref/clear_bindings.html).
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    private func bind(_ value: DatabaseValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let v):
            rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            rc = sqlite3_bind_double(handle, index, v)
        case .text(let v):
            rc = bindText(v, at: index)
        case .blob(let v):
            // Same rule for blobs: a NULL pointer binds NULL, so an empty blob is a zeroblob of length 0.
            rc = v.isEmpty
                ? sqlite3_bind_zeroblob(handle, index, 0)
                : v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), sqliteTransient) }
        }
        guard rc == SQLITE_OK else { throw DatabaseError(connection: connection, code: rc, sql: sql) }
    }

    /// Binds text; SQLite's result code. The byte count carries text with embedded NULs whole. An empty string
    /// still needs a non-NULL pointer: bind_text with NULL binds NULL (https://www.sqlite.org/c3ref/bind_blob.html).
    func bindText(_ text: String, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            bytes.count == 0
                ? sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
                : sqlite3_bind_text64(handle, index, bytes.baseAddress, UInt64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
        }
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is ready, false when the statement is done.
    ///
    /// On an error the statement is reset, so it holds no lock while the error travels up.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = DatabaseError(connection: connection, code: rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Rewinds the statement to run again, keeping its bindings.
    ///
    /// A statement left mid-way keeps its read transaction open and, in WAL
    /// mode, stops checkpoints from getting past it, so finish or reset it.
    /// Errors were already reported by `step()` (https://www.sqlite.org/c3ref/reset.html).
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Binds `bindings` when given, runs the statement to completion and resets it.
    public func execute(_ bindings: Bindings? = nil) throws {
        reset()
        if let bindings { try bind(bindings) }
        defer { reset() }
        while try step() {}
    }

    /// Binds `bindings` when given and returns every row, then resets the statement.
    public func rows(_ bindings: Bindings? = nil) throws -> [Row] {
        reset()
        if let bindings { try bind(bindings) }
        defer { reset() }
        var rows: [Row] = []
        let names = columnNames
        while try step() {
            rows.append(Row(columnNames: names, values: (0..<names.count).map(value)))
        }
        return rows
    }

    // MARK: Columns

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// How many times SQLite compiled this statement again (a schema change, a pragma that expires
    /// statements); https://www.sqlite.org/c3ref/c_stmtstatus_counter.html.
    public var reprepareCount: Int { Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)) }

    public var columnNames: [String] { (0..<columnCount).map(columnName) }

    public func columnName(_ index: Int) -> String {
        String(cString: sqlite3_column_name(handle, Int32(index)))
    }

    public func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL
    }

    /// The column as an integer, converted by SQLite's rules (NULL reads 0,
    /// https://www.sqlite.org/c3ref/column_blob.html); check `isNull` or use `value` to tell.
    public func int64(_ index: Int) -> Int64 {
        sqlite3_column_int64(handle, Int32(index))
    }

    public func int(_ index: Int) -> Int { Int(int64(index)) }

    public func bool(_ index: Int) -> Bool { int64(index) != 0 }

    /// The column as a double, converted by SQLite's rules (NULL reads 0.0).
    public func double(_ index: Int) -> Double {
        sqlite3_column_double(handle, Int32(index))
    }

    /// The column as text, or nil for NULL; other storage classes are converted by SQLite.
    public func string(_ index: Int) -> String? {
        let column = Int32(index)
        // column_blob.html: call the pointer function first, then _bytes, so the
        // length is of the converted value.
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as bytes, or nil for NULL.
    public func blob(_ index: Int) -> [UInt8]? {
        let column = Int32(index)
        guard !isNull(index) else { return nil }
        // An empty blob reads back as a NULL pointer, so the type check above is what tells NULL apart.
        guard let bytes = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// The column exactly as stored.
    public func value(_ index: Int) -> DatabaseValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: .integer(int64(index))
        case SQLITE_FLOAT: .real(double(index))
        case SQLITE_TEXT: .text(string(index) ?? "")
        case SQLITE_BLOB: .blob(blob(index) ?? [])
        default: .null
        }
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the bind call returns,
/// so Swift may free its buffer right after (https://www.sqlite.org/c3ref/c_static.html).
var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
