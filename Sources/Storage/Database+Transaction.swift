import CSQLite

extension Database {
    /// How a transaction takes its locks (https://www.sqlite.org/lang_transaction.html §2).
    public enum TransactionKind: String, Sendable {
        /// Locks on first read or write. A deferred transaction that reads and then
        /// writes can fail with SQLITE_BUSY at once, without waiting for the busy timeout.
        case deferred = "DEFERRED"
        /// Takes the write lock at BEGIN, waiting up to the busy timeout for it:
        /// the right kind for every transaction that writes.
        case immediate = "IMMEDIATE"
        /// Like immediate; in WAL mode the two are the same.
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` in a transaction: committed when `body` returns, rolled back when it throws.
    ///
    /// Called inside another transaction, it runs `body` in a savepoint instead
    /// (`kind` is then moot): a throw undoes only what `body` did, and nothing is
    /// durable until the outermost transaction commits
    /// (https://www.sqlite.org/lang_savepoint.html).
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: (Database) throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try cachedStatement("BEGIN \(kind.rawValue) TRANSACTION").execute()
        let result: T
        do {
            result = try body(self)
            try cachedStatement("COMMIT TRANSACTION").execute()
        } catch {
            // A failed COMMIT (SQLITE_BUSY) leaves the transaction open for a retry;
            // we roll back instead so the connection is never left inside one
            // (https://www.sqlite.org/lang_transaction.html §4).
            rollbackIfActive("ROLLBACK TRANSACTION")
            throw error
        }
        return result
    }

    private func savepoint<T>(_ body: (Database) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "botvisor_savepoint_\(savepointDepth)"
        try cachedStatement("SAVEPOINT \(name)").execute()
        let result: T
        do {
            result = try body(self)
            try cachedStatement("RELEASE SAVEPOINT \(name)").execute()
        } catch {
            // ROLLBACK TO rewinds but keeps the savepoint on the stack; RELEASE pops it.
            rollbackIfActive("ROLLBACK TRANSACTION TO SAVEPOINT \(name)")
            rollbackIfActive("RELEASE SAVEPOINT \(name)")
            throw error
        }
        return result
    }

    /// Runs a rollback statement unless SQLite already rolled the whole transaction
    /// back by itself, as it does after SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or
    /// SQLITE_NOMEM (https://www.sqlite.org/lang_transaction.html §5).
    private func rollbackIfActive(_ sql: String) {
        guard isInTransaction else { return }
        // The error being thrown is the one worth reporting; a rollback that fails
        // here leaves SQLite to roll back when the connection closes.
        try? cachedStatement(sql).execute()
    }
}
