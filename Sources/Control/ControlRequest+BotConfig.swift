import Fleet
import IPC
import JSON

extension ControlRequest {
    /// The bot configuration this `bot add` / `bot set` request carries, as the JSON object the HTTP
    /// API would receive, so `BotConfigValidator` checks both alike. `clear` names become `null`.
    public var botConfigFields: [String: JSON] {
        var fields: [String: JSON] = [:]
        if command == .botAdd, let name = bots?.first { fields["name"] = .string(name) }
        if let token { fields["token"] = .string(token) }
        if let intents { fields["intents"] = .number(Double(intents)) }
        if let prefix { fields["prefix"] = .string(prefix) }
        if let applicationID { fields["application_id"] = .string(applicationID) }
        if let customCommands {
            fields["custom_commands"] = .array(customCommands.map { c in
                var o: [String: JSON] = ["name": .string(c.name), "description": .string(c.description),
                                         "response": .string(c.response), "ephemeral": .bool(c.ephemeral)]
                if let delay = c.delayMilliseconds { o["delay_ms"] = .number(Double(delay)) }
                return .object(o)
            })
        }
        for key in clear ?? [] { fields[key] = .null }
        return fields
    }
}
