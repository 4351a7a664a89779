import JSON

/// Reads a `commands` envelope straight from its bytes into `CommandRecord`s: no `JSON` tree, no key
/// dictionaries, no `Decoder` (issue 16: decoding batches through `JSONValueDecoder` cost about as much CPU
/// per record as the SQLite writer).
///
/// A fast path only: it returns nil for every other message and for anything unusual (an unknown or
/// repeated key, a value of another type, malformed text), and `IPCEnvelope.decode` then decodes the
/// payload the generic way, whose result or error is the one reported. So what it accepts is exactly
/// what the generic decoder accepts, with the same values.
enum CommandBatchReader {
    static func envelope(_ payload: [UInt8]) -> IPCEnvelope? {
        payload.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            return try? envelope(&reader, sizeHint: buffer.count)
        }
    }

    private static func envelope(_ r: inout JSONReader, sizeHint: Int) throws(JSONError) -> IPCEnvelope? {
        try r.beginObject()
        var first = true, seen: UInt8 = 0
        var isCommands = false, id: UInt64?, replyTo: UInt64?, records: [CommandRecord]?
        while let key = try r.nextKey(first: &first) {
            let bit: UInt8
            switch key {
            case "type":
                bit = 1
                guard try r.string() == "commands" else { return nil }
                isCommands = true
            case "id":
                bit = 2
                id = try r.optionalUInt64()
            case "reply_to":
                bit = 4
                replyTo = try r.optionalUInt64()
            case "body":
                bit = 8
                // The encoder sorts keys, so `body` usually comes before `type`: read it as a batch, and give up
                // at its first key when it is another message's body.
                guard let batch = try self.records(&r, sizeHint: sizeHint) else { return nil }
                records = batch
            default:
                return nil
            }
            guard seen & bit == 0 else { return nil }
            seen |= bit
        }
        try r.end()
        guard isCommands, let records else { return nil }
        return IPCEnvelope(.commands(CommandBatch(records: records)), id: id, replyTo: replyTo)
    }

    /// The body `{"records":[...]}`.
    private static func records(_ r: inout JSONReader, sizeHint: Int) throws(JSONError) -> [CommandRecord]? {
        try r.beginObject()
        var first = true
        var records: [CommandRecord]?
        while let key = try r.nextKey(first: &first) {
            guard key == "records", records == nil else { return nil }
            try r.beginArray()
            var list: [CommandRecord] = []
            list.reserveCapacity(sizeHint / 256)
            var firstRecord = true
            while try r.nextElement(first: &firstRecord) {
                guard let record = try record(&r) else { return nil }
                list.append(record)
            }
            records = list
        }
        return records
    }

    private static func record(_ r: inout JSONReader) throws(JSONError) -> CommandRecord? {
        try r.beginObject()
        var first = true, seen: UInt16 = 0
        var id: String?, bot: String?, guildID: String?, channelID: String?, userID: String?, command: String?
        var options: String?, startedAt: Int64?, durationMicros: Int64?, outcome: CommandOutcome?
        var errorCode: ErrorCode?, errorMessage: String?
        while let key = try r.nextKey(first: &first) {
            let bit: UInt16
            switch key {
            case "id": bit = 1 << 0; id = try r.string()
            case "bot": bit = 1 << 1; bot = try r.string()
            case "guild_id": bit = 1 << 2; guildID = try r.optionalString()
            case "channel_id": bit = 1 << 3; channelID = try r.optionalString()
            case "user_id": bit = 1 << 4; userID = try r.string()
            case "command": bit = 1 << 5; command = try r.string()
            case "options": bit = 1 << 6; options = try r.string()
            case "started_at": bit = 1 << 7; startedAt = try r.int64()
            case "duration_us": bit = 1 << 8; durationMicros = try r.int64()
            case "outcome":
                bit = 1 << 9
                guard let o = CommandOutcome(rawValue: try r.string()) else { return nil }
                outcome = o
            case "error_code": bit = 1 << 10; errorCode = try r.optionalString().map(ErrorCode.init(rawValue:))
            case "error_message": bit = 1 << 11; errorMessage = try r.optionalString()
            default: return nil
            }
            guard seen & bit == 0 else { return nil }
            seen |= bit
        }
        guard let id, let bot, let userID, let command, let options, let startedAt, let durationMicros, let outcome else {
            return nil
        }
        return CommandRecord(id: id, bot: bot, guildID: guildID, channelID: channelID, userID: userID, command: command,
                             options: options, startedAt: startedAt, durationMicros: durationMicros, outcome: outcome,
                             errorCode: errorCode, errorMessage: errorMessage)
    }
}
