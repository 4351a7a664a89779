import IPC
import JSON
import Store

/// A log page as JSON, written by hand. At 50 records `JSONEncoder` (sorted keys, an existential
/// container per field) cost more than the SQLite query behind it; this writes the same bytes as
/// `HTTPJSON.encode` would for `APIRouter.Page` (records as `LogRecord`): keys sorted, nil fields
/// left out, `/` unescaped, `started_at` in milliseconds, `options` as JSON.
package enum LogPageJSON {
    package static func encode(_ page: LogPage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + page.records.count * 360)
        append(&out, #"{"logs":["#)
        for (i, r) in page.records.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            record(&out, r)
        }
        out.append(UInt8(ascii: "]"))
        if let next = page.nextCursor {
            append(&out, #","next_cursor":"#)
            string(&out, next)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// One record as a JSON object, as `JSONEncoder` with sorted keys writes it (also the export's NDJSON lines).
    package static func record(_ out: inout [UInt8], _ r: CommandRecord) {
        // RFC 8259 does not order keys; these follow `.sortedKeys` so the bytes match JSONEncoder's.
        append(&out, #"{"bot":"#)
        string(&out, r.bot)
        if let v = r.channelID { append(&out, #","channel_id":"#); string(&out, v) }
        append(&out, #","command":"#)
        string(&out, r.command)
        append(&out, #","duration_us":"#)
        append(&out, String(r.durationMicros))
        if let v = r.errorCode { append(&out, #","error_code":"#); string(&out, v.rawValue) }
        if let v = r.errorMessage { append(&out, #","error_message":"#); string(&out, v) }
        if let v = r.guildID { append(&out, #","guild_id":"#); string(&out, v) }
        append(&out, #","id":"#)
        string(&out, r.id)
        append(&out, #","options":"#)
        // What is stored is botvisor's own compact JSON, copied when it is exactly what writing it again gives;
        // anything else is parsed and written again, so a page is valid JSON whatever the row holds.
        append(&out, JSON.isSerializedForm(r.options) ? r.options : LogRecord.options(r.options).serialized())
        append(&out, #","outcome":"#)
        string(&out, r.outcome.rawValue)
        append(&out, #","started_at":"#)
        append(&out, String(LogRecord.milliseconds(r.startedAt)))
        append(&out, #","user_id":"#)
        string(&out, r.userID)
        out.append(UInt8(ascii: "}"))
    }

    private static func append(_ out: inout [UInt8], _ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A JSON string, through the one escaper.
    package static func string(_ out: inout [UInt8], _ value: String) {
        JSON.appendQuoted(value, to: &out)
    }
}
