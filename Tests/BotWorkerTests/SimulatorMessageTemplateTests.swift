import Discord
import JSON
import Testing
@testable import DiscordSim

/// The simulator writes MESSAGE_CREATE from a template (issue 16): it must send exactly what serializing the
/// event's dictionary sends.
@Suite struct SimulatorMessageTemplateTests {
    @Test(arguments: ["hello world 1, nothing to see", "!help", "", "quote \" backslash \\ newline \n tab \t nul \u{0}", "café 🤖 ✓"])
    func theTemplateWritesWhatTheDictionaryWould(content: String) {
        let data: JSON = [
            "id": "1234", "channel_id": "7001", "guild_id": "9001", "content": .string(content),
            "author": ["id": "5\"01", "username": "user5\"01", "discriminator": "0", "bot": false],
            "timestamp": "2026-11-27T00:00:00.000000+00:00", "tts": false, "mention_everyone": false, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
        ]
        let written = DiscordSimulator.messageCreateData(id: "1234", channelID: "7001", guildID: "9001", content: content, authorID: "5\"01")
        #expect(String(decoding: written, as: UTF8.self) == data.serialized())
        #expect(DiscordSimulator.dispatchPayload(serializedData: written, sequence: 42, event: "MESSAGE_CREATE")
                == GatewayPayload(op: .dispatch, d: data, s: 42, t: "MESSAGE_CREATE").serialized())
    }
}
