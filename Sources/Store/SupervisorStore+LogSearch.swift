import Fleet
import IPC
import Storage

extension SupervisorStore {
    /// Runs a search. An invalid full-text query is a `DatabaseError` with SQLITE_ERROR (the API answers 400).
    public func search(_ query: LogQuery) async throws -> LogPage {
        let limit = max(1, min(query.limit, LogQuery.maximumLimit))
        let rows = try await reader.read { db in
            if query.text != nil { return try SupervisorStore.textSearch(query, limit: limit, db: db) }
            let (whereClause, values) = query.sql()
            return try SupervisorStore.records("""
                SELECT \(SupervisorStore.recordColumns) FROM command_logs l \(whereClause) ORDER BY l.started_at DESC, l.id DESC LIMIT \(limit + 1)
                """, Bindings(values), db: db)
        }
        let records = Array(rows.prefix(limit))
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
    /// holds about that many matches. The rows in the window have rowids from min(rowid) up (found
    /// through `command_log_blocks`), and a match in the window is found by FTS5 over that rowid
    /// range: every matching row with started_at >= lo, however late it was inserted, so the top of
    /// the window is exactly the top of the whole result. When the window holds too few (other
    /// filters, a cursor deep in the past), it grows fourfold until it covers everything.
    package static func textSearch(_ query: LogQuery, limit: Int, db: Database) throws -> [CommandRecord] {
        let text = query.text ?? ""
        let probeSize = max(200, 4 * (limit + 1))
        let probe = try db.query("""
            SELECT l.started_at FROM command_logs_fts f CROSS JOIN command_logs l ON l.rowid = f.rowid
            WHERE command_logs_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?
            """, [text, probeSize]).map { try $0.decode(0, as: Int64.self) }
        let (whereClause, values) = query.sql(includingText: false)
        let rest = whereClause.isEmpty ? "" : " AND " + whereClause.dropFirst("WHERE ".count)
        // FTS5 first (CROSS JOIN keeps that order), then each match's row by rowid.
        func matches(rowidFrom: Int64?, startedFrom: Int64?) throws -> [CommandRecord] {
            var bounds = "", extra: [DatabaseValue] = []
            if let rowidFrom, let startedFrom {
                bounds = " AND f.rowid >= ? AND l.started_at >= ?"
                extra = [.integer(rowidFrom), .integer(startedFrom)]
            }
            return try records("""
                SELECT \(recordColumns) FROM command_logs_fts f CROSS JOIN command_logs l ON l.rowid = f.rowid
                WHERE command_logs_fts MATCH ?\(bounds)\(rest) ORDER BY l.started_at DESC, l.id DESC LIMIT \(limit + 1)
                """, Bindings([.text(text)] + extra + values), db: db)
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
            // Every row started at or after `lo` has a rowid from `first` up (SupervisorStore+SearchWindow.swift).
            if let first = try firstRowID(startedFrom: lo, db: db) {
                let rows = try matches(rowidFrom: first, startedFrom: lo)
                if rows.count > limit { return rows }
            }
            span = span > Int64.max / 8 ? Int64.max / 2 : span * 4
        }
    }

    /// The columns `record(_: Statement)` reads, in its order.
    package static let recordColumns = "l.id, l.bot, l.guild_id, l.channel_id, l.user_id, l.command, l.options, l.started_at, l.duration_us, l.outcome, l.error_code, l.error_message"

    /// The records a statement selecting `recordColumns` yields, read straight from its columns: going through
    /// `Row` (a value per column, then each looked up by name) cost more than the user's-last-50 query itself.
    package static func records(_ sql: String, _ bindings: Bindings, db: Database) throws -> [CommandRecord] {
        let statement = try db.cachedStatement(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        var records: [CommandRecord] = []
        while try statement.step() { records.append(try record(statement)) }
        return records
    }

    /// The current row of a statement selecting `recordColumns`; a stored value of the wrong class is SQLITE_MISMATCH, as with `Row`.
    static func record(_ s: Statement) throws -> CommandRecord {
        func text(_ i: Int) throws -> String {
            guard case .text(let v) = s.value(i) else { throw mismatch(i) }
            return v
        }
        func optionalText(_ i: Int) throws -> String? { s.isNull(i) ? nil : try text(i) }
        func integer(_ i: Int) throws -> Int64 {
            guard case .integer(let v) = s.value(i) else { throw mismatch(i) }
            return v
        }
        func mismatch(_ i: Int) -> DatabaseError {
            DatabaseError(.mismatch, message: "column \(s.columnName(i)) holds \(s.value(i).storageClass)")
        }
        guard let outcome = CommandOutcome(rawValue: try text(9)) else { throw mismatch(9) }
        return CommandRecord(id: try text(0), bot: try text(1), guildID: try optionalText(2), channelID: try optionalText(3),
                             userID: try text(4), command: try text(5), options: try text(6), startedAt: try integer(7),
                             durationMicros: try integer(8), outcome: outcome, errorCode: try optionalText(10).map(ErrorCode.init(rawValue:)),
                             errorMessage: try optionalText(11))
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
