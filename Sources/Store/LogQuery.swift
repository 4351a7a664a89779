import Fleet
import IPC
import Storage

/// A command-log search: filters combined freely, newest first, cursor-paginated.
public struct LogQuery: Sendable, Equatable {
    public var bot: String?
    public var guild: String?
    public var channel: String?
    public var user: String?
    public var command: String?
    public var outcome: CommandOutcome?
    /// Microseconds since the epoch, inclusive.
    public var from: Int64?
    public var to: Int64?
    public var minimumDurationMicros: Int64?
    /// An FTS5 query over command, options, error code and message.
    public var text: String?
    /// Only `error` and `timeout` outcomes.
    public var failedOnly = false
    public var limit = 50
    /// Continue after this (started_at, id), exclusive.
    public var cursor: Cursor?

    public static let maximumLimit = 500

    public init() {}

    /// The position of the last row of a page: rows are ordered by (started_at, id) descending.
    public struct Cursor: Sendable, Equatable {
        public var startedAt: Int64
        public var id: String

        /// Opaque to clients: base64url of `started_at:id`.
        /// `<started_at µs>_<id>`, the same form as the jobs' cursor: a position anyone can read, and one the
        /// OpenAPI document can describe with a pattern (every token that matches it is a valid position).
        public var token: String { "\(startedAt)_\(id)" }

        public init(startedAt: Int64, id: String) {
            self.startedAt = startedAt
            self.id = id
        }

        public init?(token: String) {
            guard let separator = token.firstIndex(of: "_"), let at = Int64(token[..<separator]), at >= 0 else { return nil }
            let id = token[token.index(after: separator)...]
            guard !id.isEmpty else { return nil }
            startedAt = at
            self.id = String(id)
        }
    }

    /// The WHERE clause and its bindings; without `includingText` the full-text condition is left to the caller.
    package func sql(includingText: Bool = true) -> (String, [DatabaseValue]) {
        var clauses: [String] = []
        var values: [DatabaseValue] = []
        func add(_ clause: String, _ value: DatabaseValue) {
            clauses.append(clause)
            values.append(value)
        }
        if let bot { add("l.bot = ?", .text(bot)) }
        if let guild { add("l.guild_id = ?", .text(guild)) }
        if let channel { add("l.channel_id = ?", .text(channel)) }
        if let user { add("l.user_id = ?", .text(user)) }
        if let command { add("l.command = ?", .text(command)) }
        if let outcome { add("l.outcome = ?", outcome.databaseValue) }
        if let from { add("l.started_at >= ?", .integer(from)) }
        if let to { add("l.started_at <= ?", .integer(to)) }
        if let minimumDurationMicros { add("l.duration_us >= ?", .integer(minimumDurationMicros)) }
        if failedOnly { clauses.append("l.outcome IN (\(CommandOutcome.failures.map { "'\($0.rawValue)'" }.joined(separator: ", ")))") }
        if includingText, let text { add("l.rowid IN (SELECT rowid FROM command_logs_fts WHERE command_logs_fts MATCH ?)", .text(text)) }
        if let cursor {
            clauses.append("(l.started_at < ? OR (l.started_at = ? AND l.id < ?))")
            values += [.integer(cursor.startedAt), .integer(cursor.startedAt), .text(cursor.id)]
        }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), values)
    }
}

/// One page of results.
public struct LogPage: Sendable {
    public var records: [CommandRecord]
    public var nextCursor: String?
    package init(records: [CommandRecord], nextCursor: String? = nil) {
        self.records = records
        self.nextCursor = nextCursor
    }
}
