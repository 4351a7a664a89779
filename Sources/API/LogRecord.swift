import IPC
import JSON

/// A command record as the API shows it. Like every timestamp on the wire, `started_at` is Unix
/// milliseconds (the store keeps microseconds, for ordering); durations carry their unit in the
/// name (`duration_us`). `options` is the JSON the user sent, not a string of JSON.
/// `LogPageJSON` writes the same bytes by hand; a test keeps the two equal.
package struct LogRecord: Encodable {
    package var bot: String
    package var channel_id: String?
    package var command: String
    package var duration_us: Int64
    package var error_code: ErrorCode?
    package var error_message: String?
    package var guild_id: String?
    package var id: String
    package var options: JSON
    package var outcome: CommandOutcome
    package var started_at: Int64
    package var user_id: String

    package init(_ r: CommandRecord) {
        bot = r.bot
        channel_id = r.channelID
        command = r.command
        duration_us = r.durationMicros
        error_code = r.errorCode
        error_message = r.errorMessage
        guild_id = r.guildID
        id = r.id
        options = LogRecord.options(r.options)
        outcome = r.outcome
        started_at = LogRecord.milliseconds(r.startedAt)
        user_id = r.userID
    }

    /// Stored microseconds as wire milliseconds (rounded down, so a record never appears to start
    /// after a `to` filter that selected it).
    package static func milliseconds(_ micros: Int64) -> Int64 {
        micros >= 0 ? micros / 1000 : (micros - 999) / 1000
    }

    /// The stored options text as JSON; text that is not JSON (never written by botvisor) stays a string.
    package static func options(_ text: String) -> JSON {
        (try? JSON.parse(text)) ?? .string(text)
    }
}
