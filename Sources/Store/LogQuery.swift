import Fleet
import FoundationEssentials
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
        public var token: String {
            Data("\(startedAt):\(id)".utf8).base64EncodedString()
                .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
        }

        public init(startedAt: Int64, id: String) {
            self.startedAt = startedAt
            self.id = id
        }

        public init?(token: String) {
            var b64 = token.replacing("-", with: "+").replacing("_", with: "/")
            while b64.count % 4 != 0 { b64 += "=" }
            guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":"), let at = Int64(text[..<colon]) else { return nil }
            startedAt = at
            id = String(text[text.index(after: colon)...])
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
