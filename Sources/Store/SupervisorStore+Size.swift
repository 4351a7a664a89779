#if canImport(Glibc)
import Glibc
#endif
import Storage

extension SupervisorStore {
    /// The database on disk, its write-ahead log included (`botvisor_db_size_bytes`).
    public nonisolated func databaseSizeBytes() -> Int {
        var total = 0
        for file in [queue.path, queue.path + "-wal"] {
            var st = stat()
            if stat(file, &st) == 0 { total += Int(st.st_size) }
        }
        return total
    }

    /// Bytes of pages in use: the file's pages less those on the free list (what retention controls;
    /// the file shrinks to it as `releaseFreePages` gives free pages back).
    public func liveDataBytes() async throws -> Int {
        try await queue.writeWithoutTransaction { db in
            let pages = try db.first("PRAGMA page_count")?.decode(0, as: Int.self) ?? 0
            let free = try db.first("PRAGMA freelist_count")?.decode(0, as: Int.self) ?? 0
            let size = try db.first("PRAGMA page_size")?.decode(0, as: Int.self) ?? 4096
            return (pages - free) * size
        }
    }

    /// Retention by size: while the live data is over `maximum`, deletes the oldest command records (by
    /// insertion, in batches, each its own short transaction so workers' records never wait long) until
    /// it is 10% under, leaving room to grow before the next trim. Returns the records deleted.
    public func trimCommandLogs(toBytes maximum: Int, batch: Int = 2000) async throws -> Int {
        var deleted = 0
        guard try await liveDataBytes() > maximum else { return 0 }
        let target = maximum - maximum / 10
        while try await liveDataBytes() > target {
            let n = try await queue.write { db in
                try db.execute("DELETE FROM command_logs WHERE rowid IN (SELECT rowid FROM command_logs ORDER BY rowid LIMIT ?)", [batch])
                let deleted = db.changes
                try SupervisorStore.forgetDeletedBlocks(db: db)
                return deleted
            }
            deleted += n
            if n < batch { break }
        }
        return deleted
    }

    /// Gives free pages back to the file system: `PRAGMA incremental_vacuum` moves them to the end of the
    /// file and truncates it (https://www.sqlite.org/pragma.html#pragma_incremental_vacuum), at most
    /// `pages` at a time so the writer is not held long. Returns the pages released.
    @discardableResult
    public func releaseFreePages(_ pages: Int = 20_000) async throws -> Int {
        try await queue.writeWithoutTransaction { db in
            let before = try db.first("PRAGMA freelist_count")?.decode(0, as: Int.self) ?? 0
            guard before > 0 else { return 0 }
            // A pragma that returns rows: step it to the end, or it frees nothing.
            _ = try db.query("PRAGMA incremental_vacuum(\(pages))")
            let after = try db.first("PRAGMA freelist_count")?.decode(0, as: Int.self) ?? 0
            return before - after
        }
    }

    /// Turns on `auto_vacuum = INCREMENTAL` once, for a database made before it was the default: the
    /// mode only changes with a VACUUM, which rewrites the file (it needs as much free disk as the
    /// database, and takes a while on a large one: it is done once, at start).
    package func enableIncrementalVacuum() async throws {
        try await queue.writeWithoutTransaction { db in
            guard try db.first("PRAGMA auto_vacuum")?.decode(0, as: Int.self) != 2 else { return }
            try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute("VACUUM")
        }
    }
}
