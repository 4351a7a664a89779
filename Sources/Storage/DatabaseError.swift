import CSQLite

/// A failed SQLite call: the primary and extended result codes, SQLite's
/// message and the SQL that failed.
public struct DatabaseError: Error, Equatable, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT` ...).
    public var code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE` ...).
    public var extendedCode: Int32
    public var message: String
    public var sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil) {
        self.code = code & 0xff
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        let name = String(cString: sqlite3_errstr(extendedCode))
        var text = "SQLite error \(extendedCode) (\(name)): \(message)"
        if let sql { text += " in `\(sql.count > 200 ? String(sql.prefix(200)) + "..." : sql)`" }
        return text
    }

    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
}
