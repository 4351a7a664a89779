import Fleet
import FoundationEssentials
import IPC
import Storage

extension SupervisorStore {
    /// Runs a search. An invalid full-text query is a `DatabaseError` with SQLITE_ERROR (the API answers 400).
    public func search(_ query: LogQuery) async throws -> LogPage {
        let limit = max(1, min(query.limit, LogQuery.maximumLimit))
        let rows = try await reader.read { db in
            if query.text != nil { return try SupervisorStore.textSearch(query, limit: limit, db: db) }
            let (whereClause, values) = query.sql()
            return try db.query("SELECT l.* FROM command_logs l \(whereClause) ORDER BY l.started_at DESC, l.id DESC LIMIT \(limit + 1)",
                                Bindings(values))
        }
        let records = try rows.prefix(limit).map(SupervisorStore.record)
        var next: String?
        if rows.count > limit, let last = records.last {
            next = LogQuery.Cursor(startedAt: last.startedAt, id: last.id).token
        }
        return LogPage(records: records, nextCursor: next)
    }

    /// A full-text search, newest first, that does not sort every match.
    ///
    /// A common word matches millions of rows; sorting them all by time to keep 50 takes seconds.
    /// FTS5 walks its matches by rowid, newest insert first, and stops at a LIMIT, and rows are
    /// inserted roughly in time order. So: take the newest few hundred matches by rowid; if that is
    /// all of them, sort those. Otherwise their oldest `started_at` marks a window [lo, now] that
    /// holds about that many matches. The rows in the window have rowids from min(rowid) up (read
    /// from the covering time index), and a match in the window is found by FTS5 over that rowid
    /// range: every matching row with started_at >= lo, however late it was inserted, so the top of
    /// the window is exactly the top of the whole result. When the window holds too few (other
    /// filters, a cursor deep in the past), it grows fourfold until it covers everything.
    package static func textSearch(_ query: LogQuery, limit: Int, db: Database) throws -> [Row] {
        let text = query.text ?? ""
        let probeSize = max(200, 4 * (limit + 1))
        let probe = try db.query("""
            SELECT l.started_at FROM command_logs_fts f CROSS JOIN command_logs l ON l.rowid = f.rowid
            WHERE command_logs_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?
            """, [text, probeSize]).map { try $0.decode(0, as: Int64.self) }
        let (whereClause, values) = query.sql(includingText: false)
        let rest = whereClause.isEmpty ? "" : " AND " + whereClause.dropFirst("WHERE ".count)
        // FTS5 first (CROSS JOIN keeps that order), then each match's row by rowid.
        func matches(rowidFrom: Int64?, startedFrom: Int64?) throws -> [Row] {
            var bounds = "", extra: [DatabaseValue] = []
            if let rowidFrom, let startedFrom {
                bounds = " AND f.rowid >= ? AND l.started_at >= ?"
                extra = [.integer(rowidFrom), .integer(startedFrom)]
            }
            return try db.query("""
                SELECT l.* FROM command_logs_fts f CROSS JOIN command_logs l ON l.rowid = f.rowid
                WHERE command_logs_fts MATCH ?\(bounds)\(rest) ORDER BY l.started_at DESC, l.id DESC LIMIT \(limit + 1)
                """, Bindings([.text(text)] + extra + values))
        }
        guard probe.count == probeSize, let newest = probe.max(), let oldest = probe.min() else {
            return try matches(rowidFrom: nil, startedFrom: nil)
        }
        // The newest start time the query can return when it sets one (rows newer than the probe's
        // newest match may still match: they can have been inserted earlier), and the oldest row there is.
        let ceiling = [query.to, query.cursor?.startedAt].compactMap { $0 }.min()
        let top = ceiling ?? newest
        let floor = max(query.from ?? Int64.min,
                        try db.first("SELECT min(started_at) FROM command_logs")?.decode(0, as: Int64?.self) ?? Int64.min)
        var span = max(newest - oldest, 1_000_000)
        while true {
            let lo = top - span
            if lo <= floor { return try matches(rowidFrom: nil, startedFrom: nil) }
            // INDEXED BY: left to itself the planner answers min(rowid) by walking the table in rowid
            // order until a row is recent enough, which is the whole table (seconds at 10M rows).
            let first = try (ceiling.map { try db.first("SELECT min(rowid) FROM command_logs INDEXED BY command_logs_time WHERE started_at >= ? AND started_at <= ?", [lo, $0]) }
                             ?? db.first("SELECT min(rowid) FROM command_logs INDEXED BY command_logs_time WHERE started_at >= ?", [lo]))?.decode(0, as: Int64?.self)
            if let first {
                let rows = try matches(rowidFrom: first, startedFrom: lo)
                if rows.count > limit { return rows }
            }
            span = span > Int64.max / 8 ? Int64.max / 2 : span * 4
        }
    }

    package static func record(_ row: Row) throws -> CommandRecord {
        CommandRecord(id: try row.decode("id"), bot: try row.decode("bot"), guildID: try row.decode("guild_id", as: String?.self),
                      channelID: try row.decode("channel_id", as: String?.self), userID: try row.decode("user_id"),
                      command: try row.decode("command"), options: try row.decode("options"),
                      startedAt: try row.decode("started_at", as: Int64.self), durationMicros: try row.decode("duration_us", as: Int64.self),
                      outcome: try row.decode("outcome"), errorCode: try row.decode("error_code", as: String?.self).map(ErrorCode.init(rawValue:)),
                      errorMessage: try row.decode("error_message", as: String?.self))
    }
}
