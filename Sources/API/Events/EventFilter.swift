import IPC
import JSON

/// What a subscription keeps of its topic: every field set must equal the event's.
public struct EventFilter: Sendable, Equatable {
    public var bot: String?
    public var guild: String?
    public var outcome: CommandOutcome?
    public var command: String?

    public init(bot: String? = nil, guild: String? = nil, outcome: CommandOutcome? = nil, command: String? = nil) {
        self.bot = bot
        self.guild = guild
        self.outcome = outcome
        self.command = command
    }

    public var isEmpty: Bool { bot == nil && guild == nil && outcome == nil && command == nil }

    func matches(_ event: FeedEvent) -> Bool {
        (bot == nil || event.bot == bot) && (guild == nil || event.guild == guild)
            && (outcome == nil || event.outcome == outcome) && (command == nil || event.command == command)
    }

    /// Reads a filter for `topic` from name/value pairs (a subscribe message's `filter`, or the query);
    /// a name the topic does not take, or an unknown outcome, is an `EventFeedError`.
    static func parse(_ pairs: [(String, String)], for topic: EventTopic) throws(EventFeedError) -> EventFilter {
        var filter = EventFilter()
        for (name, value) in pairs where !value.isEmpty {
            guard topic.filterNames.contains(name) else {
                throw EventFeedError(.invalidParameter, topic.filterNames.isEmpty
                    ? "topic \(topic) takes no filter (got \(name))"
                    : "topic \(topic) filters by \(topic.filterNames.joined(separator: ", ")), not \(name)")
            }
            switch name {
            case "bot": filter.bot = value
            case "guild": filter.guild = value
            case "command": filter.command = value
            case "outcome":
                guard let outcome = CommandOutcome(rawValue: value) else {
                    throw EventFeedError(.invalidParameter, "outcome must be one of \(CommandOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.outcome = outcome
            default: break
            }
        }
        return filter
    }

    var json: JSON {
        var o: [String: JSON] = [:]
        if let bot { o["bot"] = .string(bot) }
        if let guild { o["guild"] = .string(guild) }
        if let outcome { o["outcome"] = .string(outcome.rawValue) }
        if let command { o["command"] = .string(command) }
        return .object(o)
    }
}

/// A request on the feed that cannot be honoured: told to that client (over WebSocket as an `error`
/// event, over HTTP as a 4xx), never fatal to the connection.
public struct EventFeedError: Error, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}
