import Discord
import IPC
import JSON

/// The one validation of a bot configuration, for every way one arrives: `POST /api/v1/bots` and
/// `PATCH /api/v1/bots/{name}` (the API's `BotConfigInput` hands it the request's JSON object) and
/// `botvisorctl bot add` / `bot set` (the control server builds the same object from the request), so
/// both reject exactly the same values with the same messages. Every failing field is reported at once.
public struct BotConfigValidator: Sendable {
    /// The JSON object, field by field; absent fields keep their value on update.
    public var fields: [String: JSON]

    public static let knownFields: Set<String> = ["name", "token", "application_id", "intents", "prefix", "custom_commands", "enabled",
                                                  "anti_spam_commands", "anti_spam_window_seconds", "command_timeout_seconds"]
    /// Commands every worker answers itself.
    public static let builtInCommands: Set<String> = ["ping", "help"]
    /// Discord allows 100 global chat-input commands per application.
    public static let maximumCustomCommands = 100

    public init(fields: [String: JSON]) {
        self.fields = fields
    }

    /// Applies the fields to `base` (the defaults on create, the stored bot on
    /// update) and returns the result, or every failing field.
    public func apply(to base: BotDefinition, creating: Bool) throws(BotConfigError) -> BotDefinition {
        var bot = base
        var problems: [BotConfigError.Field] = []
        func fail(_ field: String, _ message: String) { problems.append(.init(field, message)) }

        for key in fields.keys.sorted() where !Self.knownFields.contains(key) {
            fail(key, "unknown field; known: \(Self.knownFields.sorted().joined(separator: ", "))")
        }
        if let value = fields["name"] {
            if let name = value.string, BotDefinition.isValidName(name) {
                if !creating && name != base.name { fail("name", "a bot cannot be renamed; create a new one") }
                bot.name = name
            } else {
                fail("name", "1-32 characters of a-z, 0-9, - and _, starting with a letter or digit")
            }
        } else if creating {
            fail("name", "required")
        }
        if let value = fields["token"] {
            if let token = value.string, (1...256).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
                bot.token = token
            } else {
                fail("token", "a bot token: 1-256 printable ASCII characters without spaces")
            }
        } else if creating {
            fail("token", "required")
        }
        if let value = fields["application_id"] {
            if value.isNull {
                bot.applicationID = nil
            } else if let id = value.string, Self.isSnowflake(id) {
                bot.applicationID = id
            } else {
                fail("application_id", "a snowflake: a string of 1-20 digits, or null")
            }
        }
        if let value = fields["intents"] {
            if let n = value.double, n >= 0, n == n.rounded(), n < 9e15,
               GatewayIntents(rawValue: UInt64(n)).subtracting(.allKnown).isEmpty {
                bot.intents = UInt64(n)
            } else {
                fail("intents", "an integer made of Discord's intent bits (0-16, 20, 21, 24, 25)")
            }
        }
        if let value = fields["prefix"] {
            if value.isNull {
                bot.prefix = nil
            } else if let prefix = value.string, (1...8).contains(prefix.count), !prefix.contains(where: \.isWhitespace) {
                bot.prefix = prefix
            } else {
                fail("prefix", "1-8 characters without whitespace, or null for slash commands only")
            }
        }
        if let value = fields["custom_commands"] {
            if let list = value.array {
                if list.count > Self.maximumCustomCommands {
                    fail("custom_commands", "at most \(Self.maximumCustomCommands) commands (Discord's limit per application)")
                }
                var commands: [CustomCommand] = []
                var seen: Set<String> = []
                for (i, item) in list.enumerated() {
                    if let command = Self.command(item, path: "custom_commands[\(i)]", fail: fail) {
                        if !seen.insert(command.name).inserted {
                            fail("custom_commands[\(i)].name", "`\(command.name)` appears twice")
                        }
                        commands.append(command)
                    }
                }
                bot.customCommands = commands
            } else {
                fail("custom_commands", "an array of commands")
            }
        }
        if let value = fields["enabled"] {
            if let enabled = value.bool { bot.enabled = enabled } else { fail("enabled", "true or false") }
        }
        if let value = fields["anti_spam_commands"] {
            if let n = value.int, (1...1000).contains(n) { bot.rateLimitCount = n } else { fail("anti_spam_commands", "an integer from 1 to 1000") }
        }
        if let value = fields["anti_spam_window_seconds"] {
            if let s = value.double, s >= 0.1, s <= 3600 { bot.rateLimitSeconds = s } else {
                fail("anti_spam_window_seconds", "seconds from 0.1 to 3600")
            }
        }
        if let value = fields["command_timeout_seconds"] {
            // An interaction token lives 15 minutes: a command cannot be answered later than that.
            if let s = value.double, s >= 1, s <= 900 { bot.commandTimeoutSeconds = s } else {
                fail("command_timeout_seconds", "seconds from 1 to 900 (an interaction can be answered for 15 minutes)")
            }
        }
        if !problems.isEmpty { throw BotConfigError(fields: problems) }
        return bot
    }

    /// One custom command: the name as Discord requires, a description of 1-100
    /// characters, a response template of at most 2000 (a message's content limit).
    public static func command(_ item: JSON, path: String, fail: (String, String) -> Void) -> CustomCommand? {
        guard let object = item.object else {
            fail(path, "an object with name, response and optionally description, ephemeral, delay_ms")
            return nil
        }
        var ok = true
        for key in object.keys.sorted() where !["name", "description", "response", "ephemeral", "delay_ms"].contains(key) {
            fail("\(path).\(key)", "unknown field")
            ok = false
        }
        let name = object["name"]?.string ?? ""
        if !MessageLimits.isValidCommandName(name) {
            fail("\(path).name", "1-32 characters, lowercase letters, digits, - and _ (Discord's rule for command names)")
            ok = false
        } else if builtInCommands.contains(name) {
            fail("\(path).name", "`\(name)` is a built-in command")
            ok = false
        }
        let description = object["description"].map { $0.string } ?? "Custom command /\(name)"
        if description == nil || !(1...100).contains(description!.count) {
            fail("\(path).description", "1-100 characters (Discord's limit)")
            ok = false
        }
        let response = object["response"]?.string ?? ""
        if !(1...MessageLimits.content).contains(response.count) {
            fail("\(path).response", "a template of 1-\(MessageLimits.content) characters (a message's content limit)")
            ok = false
        }
        var ephemeral = false
        if let value = object["ephemeral"] {
            if let b = value.bool { ephemeral = b } else { fail("\(path).ephemeral", "true or false"); ok = false }
        }
        var delay: Int?
        if let value = object["delay_ms"], !value.isNull {
            if let n = value.int, (0...60_000).contains(n) { delay = n } else { fail("\(path).delay_ms", "0-60000 milliseconds"); ok = false }
        }
        guard ok, let description else { return nil }
        return CustomCommand(name: name, description: description, response: response, ephemeral: ephemeral, delayMilliseconds: delay)
    }

    public static func isSnowflake(_ s: String) -> Bool {
        (1...20).contains(s.utf8.count) && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}

/// The failing fields of a bot configuration; the API renders it as 422 `VALIDATION_FAILED` with
/// `fields`, the control socket as `VALIDATION_FAILED` with the same fields.
public struct BotConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Field: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public init(_ field: String, _ message: String) {
            self.field = field
            self.message = message
        }
    }
    public var fields: [Field]
    public init(fields: [Field]) { self.fields = fields }

    /// One line: the field and why when one fails, else how many (the API's `message`).
    public var message: String {
        fields.count == 1 ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are invalid"
    }
    public var description: String { fields.map { "\($0.field): \($0.message)" }.joined(separator: "; ") }
}
