import JSON

/// An interaction's `type` (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type).
public struct InteractionType: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let ping = InteractionType(rawValue: 1)
    /// A slash command.
    public static let applicationCommand = InteractionType(rawValue: 2)
    public static let messageComponent = InteractionType(rawValue: 3)
    public static let applicationCommandAutocomplete = InteractionType(rawValue: 4)
    public static let modalSubmit = InteractionType(rawValue: 5)
}

/// The `type` of an interaction response (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type).
public struct InteractionCallbackType: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let pong = InteractionCallbackType(rawValue: 1)
    /// Answer with a message.
    public static let channelMessageWithSource = InteractionCallbackType(rawValue: 4)
    /// "Thinking...": answered later by editing the original response (within 15 minutes).
    public static let deferredChannelMessageWithSource = InteractionCallbackType(rawValue: 5)

    public var json: JSON { .number(Double(rawValue)) }
}

/// An application command's `type` (https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-types).
public struct ApplicationCommandType: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A slash command.
    public static let chatInput = ApplicationCommandType(rawValue: 1)

    public var json: JSON { .number(Double(rawValue)) }
}

/// A message's `flags` (https://discord.com/developers/docs/resources/message#message-object-message-flags).
public struct MessageFlags: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Only the user who invoked the interaction sees the message.
    public static let ephemeral = MessageFlags(rawValue: 1 << 6)

    public var json: JSON { .number(Double(rawValue)) }
}
