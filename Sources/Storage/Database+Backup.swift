#if canImport(Glibc)
import Glibc
#endif
import CSQLite

extension Database {
    /// Copies this database into a new file at `path` with SQLite's online backup API
    /// (https://www.sqlite.org/backup.html): the copy is one consistent snapshot, taken while other
    /// connections go on writing.
    ///
    /// The copy is made in one `sqlite3_backup_step(-1)`, so it reads inside one read transaction: in WAL
    /// mode that snapshot never blocks the writer, and a copy made in several steps would start over each
    /// time another connection commits (backup_step.html), which under a steady stream of command records
    /// might never finish. The file is created with `mode` before SQLite opens it, is switched to a rollback
    /// journal so it is one self-contained file (no `-wal` beside it), and must not exist yet.
    /// Returns the copy's size in bytes.
    @discardableResult
    public func backup(to path: String, mode: mode_t = 0o600) throws -> Int {
        // O_EXCL: never overwrite a file, least of all the live database under another name.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw DatabaseError(.cantOpen, message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // The umask may have taken bits away from `mode`: set it exactly.
        fchmod(fd, mode)
        Glibc.close(fd)
        do {
            let destination = try Database(path: path, flags: .readWrite)
            defer { destination.close() }
            guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
                throw DatabaseError(connection: destination.handle, code: sqlite3_errcode(destination.handle), sql: nil)
            }
            var rc = sqlite3_backup_step(backup, -1)
            // BUSY or LOCKED: another connection holds a lock the copy needs; step again after a pause.
            var attempts = 0
            while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempts < 100 {
                attempts += 1
                usleep(50_000)
                rc = sqlite3_backup_step(backup, -1)
            }
            let finish = sqlite3_backup_finish(backup)
            guard rc == SQLITE_DONE else { throw DatabaseError(connection: destination.handle, code: rc, sql: nil) }
            guard finish == SQLITE_OK else { throw DatabaseError(connection: destination.handle, code: finish, sql: nil) }
            // The copy carries the source's WAL flag in its header; a rollback journal makes it one file
            // that `install` can put in place (the daemon switches it back to WAL when it opens it).
            try destination.execute("PRAGMA journal_mode = DELETE")
        } catch {
            unlink(path)
            unlink(path + "-wal")
            unlink(path + "-shm")
            throw error
        }
        var st = stat()
        stat(path, &st)
        return Int(st.st_size)
    }
}
