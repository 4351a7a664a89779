import Fleet
import Storage

// When each bot last identified, in Unix milliseconds: kept in SQLite so a daemon that restarts
// right after an identify still spaces the next one by Discord's 5 s (reliability review, row 8).
extension SupervisorStore {
    public func saveIdentify(bot: String, unixMillis: Int64) async {
        _ = try? await queue.write { db in
            try db.execute("UPDATE bots SET last_identify_ms = ? WHERE name = ?", [unixMillis, bot])
        }
    }

    public func lastIdentify(bot: String) async throws -> Int64? {
        try await queue.read { db in
            try db.first("SELECT last_identify_ms FROM bots WHERE name = ?", [bot])?.decode("last_identify_ms", as: Int64?.self)
        }
    }
}
