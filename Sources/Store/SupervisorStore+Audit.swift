import Auth
import JSON
import Storage

/// Filters for `GET /api/v1/audit` and `botvisorctl audit list`: every one is optional and they combine
/// with AND; `from`/`to` are Unix milliseconds (inclusive); pages run newest first, `before` is the id
/// of the last row of the previous page.
package struct AuditQuery: Sendable, Equatable {
    package var actor: String?
    package var action: String?
    package var target: String?
    package var outcome: String?
    package var from: Int64?
    package var to: Int64?
    package var before: Int64?
    package var limit = 100
    package init() {}
}

extension SupervisorStore {
    /// Appends `entry` to the chain in one write transaction: its sequence is the next id, its link the
    /// hash of the row before (or of the anchor, when retention removed every row). The write queue runs
    /// one transaction at a time, so two appends cannot hang from the same row.
    package func appendAudit(_ entry: AuditEntry) async throws -> AuditRow {
        try await queue.write { db in
            let anchor = try Self.auditAnchor(db)
            let last = try db.first("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            // sqlite_sequence holds the largest id ever used, also when the newest rows were deleted.
            let highest = try db.first("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")?.decode(0, as: Int64?.self) ?? 0
            let previousHash = try last.map { Self.bytes(fromHex: try $0.decode("hash", as: String.self)) } ?? anchor.hash
            var sealed = entry
            sealed.sequence = max(highest, try last?.decode("id", as: Int64.self) ?? 0, anchor.sequence) + 1
            let row = AuditChain.seal(sealed, after: previousHash)
            try db.execute("""
                INSERT INTO audit_log (id, time_ms, actor, address, action, target, outcome, request_id, details, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [row.entry.sequence, row.entry.time, row.entry.actor, row.entry.address, row.entry.action, row.entry.target,
                      row.entry.outcome, row.entry.requestID, Self.detailsJSON(row.entry.details), Self.hex(row.previousHash),
                      Self.hex(row.hash)])
            return row
        }
    }

    /// Rows matching `query`, newest first.
    package func auditRows(_ query: AuditQuery) async throws -> [AuditRow] {
        try await reader.read { db in
            var clauses: [String] = []
            var values: [DatabaseValue] = []
            func add(_ clause: String, _ value: (any DatabaseValueConvertible)?) {
                guard let value else { return }
                clauses.append(clause)
                values.append(value.databaseValue)
            }
            add("actor = ?", query.actor)
            add("action = ?", query.action)
            add("target = ?", query.target)
            add("outcome = ?", query.outcome)
            add("time_ms >= ?", query.from)
            add("time_ms <= ?", query.to)
            add("id < ?", query.before)
            values.append(.integer(Int64(query.limit)))
            let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try db.query("SELECT * FROM audit_log \(filter) ORDER BY id DESC LIMIT ?", Bindings(values)).map(Self.auditRow)
        }
    }

    /// Walks the whole chain from its anchor, oldest first. Beyond the links, a removed tail shows as
    /// `sqlite_sequence` (the largest id ever written) pointing past the last row.
    package func verifyAudit() async throws -> AuditChain.Verification {
        try await reader.read { db in
            let anchor = try Self.auditAnchor(db)
            let rows = try db.query("SELECT * FROM audit_log ORDER BY id").map(Self.auditRow)
            let result = AuditChain.verify(rows, from: anchor)
            guard case .intact(_, let head) = result else { return result }
            let highest = try db.first("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")?.decode(0, as: Int64?.self) ?? 0
            if highest > head.sequence { return .broken(.removed(after: head.sequence, before: highest + 1)) }
            return result
        }
    }

    /// Retention: removes every row older than `cutoff` (Unix ms) and every row before it, so what goes is
    /// always a whole prefix, and records the last removed row as the new anchor. Returns that anchor and
    /// how many rows went, or nil when nothing was old enough.
    package func pruneAudit(olderThan cutoff: Int64) async throws -> (anchor: AuditAnchor, removed: Int)? {
        try await queue.write { db in
            guard let last = try db.first("SELECT id, hash FROM audit_log WHERE time_ms < ? ORDER BY id DESC LIMIT 1", [cutoff]) else {
                return nil
            }
            let anchor = AuditAnchor(sequence: try last.decode("id"), hash: Self.bytes(fromHex: try last.decode("hash", as: String.self)))
            try db.execute("DELETE FROM audit_log WHERE id <= ?", [anchor.sequence])
            let removed = db.changes
            try db.execute("""
                INSERT INTO audit_anchor (only, sequence, hash, removed_at_ms) VALUES (1, ?, ?, ?)
                ON CONFLICT (only) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, removed_at_ms = excluded.removed_at_ms
                """, [anchor.sequence, Self.hex(anchor.hash), nowMilliseconds()])
            return (anchor, removed)
        }
    }

    /// Where the chain starts: the genesis, or the last row retention removed.
    package func auditAnchor() async throws -> AuditAnchor {
        try await reader.read { db in try Self.auditAnchor(db) }
    }

    static func auditAnchor(_ db: Database) throws -> AuditAnchor {
        guard let row = try db.first("SELECT sequence, hash FROM audit_anchor WHERE only = 1") else { return .genesis }
        return AuditAnchor(sequence: try row.decode("sequence"), hash: bytes(fromHex: try row.decode("hash", as: String.self)))
    }

    static func auditRow(_ row: Row) throws -> AuditRow {
        let details = (try? JSONValueDecoder().decode([String: String].self, from: Array(try row.decode("details", as: String.self).utf8))) ?? [:]
        // Stored details were redacted when the entry was made; the init redacts again, which changes nothing
        // for an honest row (and a row edited to hold a secret no longer matches its hash anyway).
        let entry = AuditEntry(sequence: try row.decode("id"), time: try row.decode("time_ms"), actor: try row.decode("actor"),
                               address: try row.decode("address"), action: try row.decode("action"), target: try row.decode("target"),
                               outcome: try row.decode("outcome"), requestID: try row.decode("request_id"), details: details)
        return AuditRow(entry: entry, previousHash: bytes(fromHex: try row.decode("prev_hash", as: String.self)),
                        hash: bytes(fromHex: try row.decode("hash", as: String.self)))
    }

    static func detailsJSON(_ details: [String: String]) -> String {
        // Sorted keys, `/` not escaped: the bytes Foundation's encoder wrote here with those options.
        (try? JSONValueEncoder().encodeBytes(details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex to bytes; a malformed value decodes to no bytes (a hash that then matches nothing).
    static func bytes(fromHex text: String) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return [] }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let h = nibble(chars[i]), let l = nibble(chars[i + 1]) else { return [] }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
