import CSQLite

// SQLite's SQLITE_TRANSIENT destructor: "copy the bytes now" (sqlite3.h).
let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A prepared statement. Owned by its `Database`; not `Sendable` because a
/// SQLite connection opened with `SQLITE_OPEN_NOMUTEX` is used by one thread at a time.
public final class Statement {
    let handle: OpaquePointer
    public let sql: String
    unowned let database: Database

    init(database: Database, sql: String, persistent: Bool) throws {
        var stmt: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, flags, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw database.error(rc, sql: sql) }
        self.handle = stmt
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to `?1`, `?2` ...
    public func bind(_ values: [any DatabaseValueConvertible]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw DatabaseError(code: SQLITE_RANGE, message: "statement takes \(expected) parameters, got \(values.count)", sql: sql)
        }
        for (i, value) in values.enumerated() { try bind(value.databaseValue, at: Int32(i + 1)) }
    }

    /// Resets the statement and binds `:name` parameters.
    public func bind(_ values: [String: any DatabaseValueConvertible]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (name, value) in values {
            let key = name.hasPrefix(":") || name.hasPrefix("@") || name.hasPrefix("$") ? name : ":" + name
            let index = sqlite3_bind_parameter_index(handle, key)
            guard index > 0 else { throw DatabaseError(code: SQLITE_RANGE, message: "no parameter \(key)", sql: sql) }
            try bind(value.databaseValue, at: index)
        }
    }

    public func bind(_ value: DatabaseValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(var s):
            if s.isEmpty {
                rc = sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT)
            } else {
                // An explicit byte count keeps text with NUL characters whole.
                rc = s.withUTF8 { utf8 in
                    utf8.withMemoryRebound(to: CChar.self) { chars in
                        sqlite3_bind_text(handle, index, chars.baseAddress, Int32(chars.count), SQLITE_TRANSIENT)
                    }
                }
            }
        case .blob(let b):
            rc = b.withUnsafeBytes { raw in
                // A zero-length blob still needs a non-NULL pointer, or SQLite stores NULL.
                sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(b.count), SQLITE_TRANSIENT)
            }
        }
        guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
    }

    /// Advances to the next row: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Resets so the statement can run again (bindings stay).
    public func reset() { sqlite3_reset(handle) }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(i))) }

    public func isNull(_ i: Int) -> Bool { sqlite3_column_type(handle, Int32(i)) == SQLITE_NULL }
    public func int64(_ i: Int) -> Int64 { sqlite3_column_int64(handle, Int32(i)) }
    public func int(_ i: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(i))) }
    public func double(_ i: Int) -> Double { sqlite3_column_double(handle, Int32(i)) }

    public func string(_ i: Int) -> String? {
        guard let text = sqlite3_column_text(handle, Int32(i)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(i)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func blob(_ i: Int) -> [UInt8]? {
        guard sqlite3_column_type(handle, Int32(i)) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(i)))
        guard count > 0, let bytes = sqlite3_column_blob(handle, Int32(i)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    public func value(_ i: Int) -> DatabaseValue {
        switch sqlite3_column_type(handle, Int32(i)) {
        case SQLITE_INTEGER: .integer(int64(i))
        case SQLITE_FLOAT: .real(double(i))
        case SQLITE_TEXT: .text(string(i) ?? "")
        case SQLITE_BLOB: .blob(blob(i) ?? [])
        default: .null
        }
    }
}

/// One result row, copied out of the statement.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [DatabaseValue]

    public subscript(_ i: Int) -> DatabaseValue { values[i] }

    public subscript(_ name: String) -> DatabaseValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }

    /// The column converted to `T`; nil when NULL or of another type.
    public func get<T: DatabaseValueConvertible>(_ name: String, as type: T.Type = T.self) -> T? {
        T(databaseValue: self[name])
    }

    public func get<T: DatabaseValueConvertible>(_ i: Int, as type: T.Type = T.self) -> T? {
        T(databaseValue: values[i])
    }
}
