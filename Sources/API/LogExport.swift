import Fleet
import HTTP
import IPC
import Operations
import Storage
import Store

/// `GET /api/v1/logs/export?format=ndjson|csv`: the selection of `GET /api/v1/logs`
/// (same filters; no `limit`), newest first, streamed with chunked encoding a page
/// of 500 records at a time, so an export of millions of rows holds one page in memory.
package enum LogExport {
    package static let columns = ["id", "bot", "guild_id", "channel_id", "user_id", "command", "options", "started_at", "duration_us",
                          "outcome", "error_code", "error_message"]

    package static func register(on router: inout Router, store: SupervisorStore) {
        router.get("/api/v1/logs/export") { request, _ in
            // `limit` is accepted and ignored: the export pages through the whole selection.
            try APIQuery.check(request, allows: APIRouter.logParameters + ["format"])
            let format = APIRouter.query(request, "format") ?? "ndjson"
            guard format == "ndjson" || format == "csv" else { throw APIError.parameter("format must be ndjson or csv") }
            var parsed = try APIRouter.parse(request)
            parsed.limit = LogQuery.maximumLimit
            let selection = parsed
            // The first page before the head: a bad filter or FTS query is still a clean 400.
            let first = try await APIRouter.search(selection, request: request, store: store)
            let csv = format == "csv"
            let head = csv ? Array((columns.joined(separator: ",") + "\r\n").utf8) : []
            return HTTPResponse(
                headers: ["Content-Type": csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
                          "Content-Disposition": "attachment; filename=\"command-logs.\(format)\""],
                body: .stream { write in
                    if !head.isEmpty { try await write(head) }
                    var page = first
                    var query = selection
                    while true {
                        try await write(render(page.records, csv: csv))
                        guard let next = page.nextCursor else { return }
                        query.cursor = LogQuery.Cursor(token: next)
                        page = try await store.search(query)
                    }
                })
        }
    }

    package static func render(_ records: [CommandRecord], csv: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for r in records {
            if csv {
                let fields: [String?] = [r.id, r.bot, r.guildID, r.channelID, r.userID, r.command, r.options, String(LogRecord.milliseconds(r.startedAt)),
                                         String(r.durationMicros), r.outcome.rawValue, r.errorCode?.rawValue, r.errorMessage]
                out += Array((fields.map { quote($0 ?? "") }.joined(separator: ",") + "\r\n").utf8)
            } else {
                LogPageJSON.record(&out, r)
                out.append(UInt8(ascii: "\n"))
            }
        }
        return out
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
    package static func quote(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
