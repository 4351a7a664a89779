import Discord
import IPC

/// A bot's configuration as the API shows it: everything but the token, which
/// is write-only (`token_set`, and its last four characters when it is long
/// enough that four characters give nothing away).
public struct BotConfigView: Codable, Sendable, Equatable {
    public var token_set: Bool
    public var token_last4: String?
    public var application_id: String?
    public var intents: UInt64
    public var privileged_intents: [String]
    public var prefix: String?
    public var custom_commands: [CustomCommand]
    public var enabled: Bool
    public var anti_spam_commands: Int
    public var anti_spam_window_seconds: Double
    public var command_timeout_seconds: Double

    package init(_ bot: BotDefinition) {
        token_set = !bot.token.isEmpty
        token_last4 = bot.token.count >= 20 ? String(bot.token.suffix(4)) : nil
        application_id = bot.applicationID
        intents = bot.intents
        privileged_intents = BotConfigView.privilegedNames(bot.intents)
        prefix = bot.prefix
        custom_commands = bot.customCommands
        enabled = bot.enabled
        anti_spam_commands = bot.rateLimitCount
        anti_spam_window_seconds = bot.rateLimitSeconds
        command_timeout_seconds = bot.commandTimeoutSeconds
    }

    /// The names of the privileged intents among `intents`, as Discord spells them.
    public static func privilegedNames(_ intents: UInt64) -> [String] {
        let i = GatewayIntents(rawValue: intents)
        return [(GatewayIntents.guildMembers, "GUILD_MEMBERS"), (.guildPresences, "GUILD_PRESENCES"), (.messageContent, "MESSAGE_CONTENT")]
            .filter { i.contains($0.0) }.map(\.1)
    }
}
