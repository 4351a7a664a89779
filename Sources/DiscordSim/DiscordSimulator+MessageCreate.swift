import Discord
import JSON

extension DiscordSimulator {
    /// Injects a MESSAGE_CREATE as if a user wrote `content` in `channelID`.
    @discardableResult
    public func injectMessage(bot name: String, content: String, authorID: String = "5001", guildID: String = "9001",
                              channelID: String = "7001") -> String? {
        guard bots[name] != nil else { return nil }
        let id = snowflake()
        let data = Self.messageCreateData(id: id, channelID: channelID, guildID: guildID, content: content, authorID: authorID)
        guard dispatch(bot: name, event: "MESSAGE_CREATE", serializedData: data) else { return nil }
        return id
    }

    /// The data of an injected MESSAGE_CREATE, byte for byte as `JSON.serialized()` writes it (keys sorted),
    /// written from a template: building and sorting a 15-key dictionary for every event was most of the
    /// dispatch benchmark's simulator side, which shares the CPU with the worker it measures (issue 16).
    /// `BotWorkerTests` compare it with the serialized dictionary.
    static func messageCreateData(id: String, channelID: String, guildID: String, content: String, authorID: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384 + content.utf8.count)
        func raw(_ text: StaticString) { out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
        raw(#"{"attachments":[],"author":{"bot":false,"discriminator":"0","id":"#)
        JSON.appendQuoted(authorID, to: &out)
        raw(#","username":"#)
        JSON.appendQuoted("user" + authorID, to: &out)
        raw(#"},"channel_id":"#)
        JSON.appendQuoted(channelID, to: &out)
        raw(#","content":"#)
        JSON.appendQuoted(content, to: &out)
        raw(#","embeds":[],"guild_id":"#)
        JSON.appendQuoted(guildID, to: &out)
        raw(#","id":"#)
        JSON.appendQuoted(id, to: &out)
        raw(#","mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"timestamp":"2026-11-27T00:00:00.000000+00:00","tts":false,"type":0}"#)
        return out
    }

    /// `GatewayPayload(op: .dispatch, d: data, s: sequence, t: event).serialized()` around data already serialized.
    static func dispatchPayload(serializedData data: [UInt8], sequence: Int, event: String) -> String {
        var out: [UInt8] = Array(#"{"d":"#.utf8)
        out.reserveCapacity(data.count + 64)
        out += data
        out += Array(#","op":0,"s":"#.utf8)
        out += Array(String(sequence).utf8)
        out += Array(#","t":"#.utf8)
        JSON.appendQuoted(event, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
