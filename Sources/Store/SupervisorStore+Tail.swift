import IPC
import Storage

extension SupervisorStore {
    /// Command records committed after `rowid` (the last `limit` records when nil), oldest first, with
    /// the largest rowid seen (or `rowid` itself when none is newer): `botvisorctl logs -f` polls with it.
    /// rowids grow with each insert (`insert` relies on the same rule), so a record is seen exactly once
    /// even when it was committed after a newer one.
    package func recordsAfter(rowid: Int64?, bot: String?, failedOnly: Bool, limit: Int) async throws -> (records: [CommandRecord], lastRowID: Int64) {
        try await reader.read { db in
            var conditions: [String] = []
            var bindings: [DatabaseValue] = []
            if let rowid { conditions.append("rowid > ?"); bindings.append(.integer(rowid)) }
            if let bot { conditions.append("bot = ?"); bindings.append(.text(bot)) }
            if failedOnly { conditions.append("outcome <> 'ok'") }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // Newest first to take the last `limit` when there is no cursor; the oldest `limit` after a cursor.
            let order = rowid == nil ? "DESC" : "ASC"
            bindings.append(.integer(Int64(limit)))
            var rows = try db.query("SELECT rowid AS rid, * FROM command_logs \(filter) ORDER BY rowid \(order) LIMIT ?", Bindings(bindings))
            if rowid == nil { rows.reverse() }
            let records = try rows.map(SupervisorStore.record)
            var last = try rows.last?.decode("rid", as: Int64.self)
            if last == nil, let rowid {
                last = rowid
            } else if last == nil {
                last = try db.first("SELECT max(rowid) FROM command_logs")?.decode(0, as: Int64?.self) ?? 0
            }
            return (records, last ?? 0)
        }
    }
}
