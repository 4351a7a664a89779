import CSQLite

extension Statement {
    /// Binds text, or NULL for nil, without boxing it as `any DatabaseValueConvertible`: the command-log insert binds
    /// twelve values per row on the one writer thread (issue 16).
    public func bind(text: String?, at index: Int) throws {
        guard var text else { return try check(sqlite3_bind_null(handle, Int32(index))) }
        // As `bind(_:at:)`: the byte count carries embedded NULs, and empty text needs a non-NULL pointer.
        let rc = text.withUTF8 { bytes in
            bytes.count == 0
                ? sqlite3_bind_text(handle, Int32(index), "", 0, sqliteTransient)
                : sqlite3_bind_text64(handle, Int32(index), bytes.baseAddress, UInt64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
        }
        try check(rc)
    }

    /// Binds an integer without boxing it.
    public func bind(integer: Int64, at index: Int) throws {
        try check(sqlite3_bind_int64(handle, Int32(index), integer))
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw DatabaseError(connection: sqlite3_db_handle(handle), code: rc, sql: sql) }
    }
}
