/// One handled command: who, where, what, how long, outcome.
public struct CommandRecord: Codable, Sendable, Equatable {
    /// Unique per record; the supervisor ignores a record whose id it already stored.
    public var id: String
    public var bot: String
    public var guildID: String?
    public var channelID: String?
    public var userID: String
    public var command: String
    /// The options as a JSON object text.
    public var options: String
    /// Receipt time, microseconds since the Unix epoch.
    public var startedAt: Int64
    /// Receipt to response, in microseconds.
    public var durationMicros: Int64
    public var outcome: CommandOutcome
    public var errorCode: ErrorCode?
    public var errorMessage: String?

    public init(id: String, bot: String, guildID: String?, channelID: String?, userID: String, command: String,
                options: String, startedAt: Int64, durationMicros: Int64, outcome: CommandOutcome,
                errorCode: ErrorCode? = nil, errorMessage: String? = nil) {
        self.id = id
        self.bot = bot
        self.guildID = guildID
        self.channelID = channelID
        self.userID = userID
        self.command = command
        self.options = options
        self.startedAt = startedAt
        self.durationMicros = durationMicros
        self.outcome = outcome
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    enum CodingKeys: String, CodingKey {
        case id, bot, command, options, outcome
        case guildID = "guild_id"
        case channelID = "channel_id"
        case userID = "user_id"
        case startedAt = "started_at"
        case durationMicros = "duration_us"
        case errorCode = "error_code"
        case errorMessage = "error_message"
    }
}

/// Command records sent together; acknowledged together once committed.
public struct CommandBatch: Codable, Sendable, Equatable {
    public var records: [CommandRecord]
    public init(records: [CommandRecord]) { self.records = records }
}

/// The supervisor committed these records.
public struct Ack: Codable, Sendable, Equatable {
    public var ids: [String]
    public init(ids: [String]) { self.ids = ids }
}
