import CSQLite

extension Statement {
    /// Binds text, or NULL for nil, without boxing it as `any DatabaseValueConvertible`: the command-log insert binds
    /// twelve values per row on the one writer thread (issue 16).
    public func bind(text: String?, at index: Int) throws {
        guard let text else { return try check(sqlite3_bind_null(handle, Int32(index))) }
        try check(bindText(text, at: Int32(index)))
    }

    /// Binds an integer without boxing it.
    public func bind(integer: Int64, at index: Int) throws {
        try check(sqlite3_bind_int64(handle, Int32(index), integer))
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw DatabaseError(connection: connection, code: rc, sql: sql) }
    }
}
