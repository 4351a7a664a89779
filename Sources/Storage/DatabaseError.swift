import CSQLite

/// A failed SQLite call: the result code (primary and extended), SQLite's
/// message and the SQL that failed.
///
/// Bound values are deliberately not kept: they may hold bot tokens or other
/// secrets, and this error ends up in log lines.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code, such as `.constraintUnique`.
    public var extendedResultCode: ResultCode
    /// What `sqlite3_errmsg` said, or our own explanation for a misuse we detect.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?

    public init(_ code: ResultCode, message: String, sql: String? = nil) {
        self.extendedResultCode = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code, such as `.constraint`.
    public var resultCode: ResultCode { extendedResultCode.primary }

    /// One line for a log: `SQLITE_CONSTRAINT_UNIQUE (2067): UNIQUE constraint failed: bots.name; sql: INSERT ...`.
    public var description: String {
        var line = "\(extendedResultCode): \(message)"
        if let sql {
            line += "; sql: " + sql.split(whereSeparator: \.isNewline)
                .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }.joined(separator: " ")
        }
        return line
    }

    /// Another connection holds the lock past the busy timeout.
    public var isBusy: Bool { resultCode == .busy }
    /// A UNIQUE, NOT NULL, CHECK, FOREIGN KEY or PRIMARY KEY constraint failed.
    public var isConstraintViolation: Bool { resultCode == .constraint }

    /// The error SQLite reports on `connection` for the result code `code`.
    init(connection: OpaquePointer?, code: Int32, sql: String?) {
        // https://www.sqlite.org/c3ref/errcode.html: the message describes the
        // most recent failed call on this connection, which is the one we are reporting.
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        self.init(ResultCode(rawValue: code), message: message, sql: sql)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
