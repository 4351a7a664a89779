import FoundationEssentials
import IPC
import Store

/// A log page as JSON, written by hand. At 50 records `JSONEncoder` (sorted keys, an existential
/// container per field) cost more than the SQLite query behind it; this writes the same bytes as
/// `HTTPJSON.encoder` would for `APIRouter.Page`: keys sorted, nil fields left out, `/` unescaped.
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
        if let v = r.errorCode { append(&out, #","error_code":"#); string(&out, v) }
        if let v = r.errorMessage { append(&out, #","error_message":"#); string(&out, v) }
        if let v = r.guildID { append(&out, #","guild_id":"#); string(&out, v) }
        append(&out, #","id":"#)
        string(&out, r.id)
        append(&out, #","options":"#)
        string(&out, r.options)
        append(&out, #","outcome":"#)
        string(&out, r.outcome.rawValue)
        append(&out, #","started_at":"#)
        append(&out, String(r.startedAt))
        append(&out, #","user_id":"#)
        string(&out, r.userID)
        out.append(UInt8(ascii: "}"))
    }

    private static func append(_ out: inout [UInt8], _ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped, UTF-8 passed through.
    package static func string(_ out: inout [UInt8], _ value: String) {
        var value = value
        out.append(UInt8(ascii: "\""))
        value.withUTF8 { bytes in
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[start..<i])
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): append(&out, #"\""#)
                case UInt8(ascii: "\\"): append(&out, #"\\"#)
                case 0x08: append(&out, #"\b"#)
                case 0x0c: append(&out, #"\f"#)
                case 0x0a: append(&out, #"\n"#)
                case 0x0d: append(&out, #"\r"#)
                case 0x09: append(&out, #"\t"#)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    append(&out, #"\u00"#)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0xf)])
                }
            }
            out.append(contentsOf: bytes[start...])
        }
        out.append(UInt8(ascii: "\""))
    }
}
