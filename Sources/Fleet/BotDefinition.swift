import IPC

/// A bot as the supervisor stores it: everything needed to run its worker.
/// Carries the token: never log it, never return it from an API.
public struct BotDefinition: Sendable, Equatable {
    public var name: String
    public var token: String
    public var applicationID: String?
    public var intents: UInt64
    public var prefix: String?
    public var customCommands: [CustomCommand]
    public var enabled: Bool
    public var rateLimitCount: Int
    public var rateLimitSeconds: Double
    public var commandTimeoutSeconds: Double

    public init(name: String, token: String, applicationID: String? = nil, intents: UInt64 = 513, prefix: String? = nil,
                customCommands: [CustomCommand] = [], enabled: Bool = true, rateLimitCount: Int = 5,
                rateLimitSeconds: Double = 10, commandTimeoutSeconds: Double = 10) {
        self.name = name
        self.token = token
        self.applicationID = applicationID
        self.intents = intents
        self.prefix = prefix
        self.customCommands = customCommands
        self.enabled = enabled
        self.rateLimitCount = rateLimitCount
        self.rateLimitSeconds = rateLimitSeconds
        self.commandTimeoutSeconds = commandTimeoutSeconds
    }

    /// The worker's configuration for this bot.
    public func workerConfig(apiBase: String, session: SessionState?) -> WorkerConfig {
        WorkerConfig(bot: name, token: token, applicationID: applicationID, intents: intents, prefix: prefix,
                     apiBase: apiBase, customCommands: customCommands, rateLimitCount: rateLimitCount,
                     rateLimitSeconds: rateLimitSeconds, commandTimeoutSeconds: commandTimeoutSeconds, session: session)
    }

    /// Bot names: 1-32 of `a-z 0-9 - _`, starting with a letter or digit (safe in paths, logs and URLs).
    public static func isValidName(_ name: String) -> Bool {
        guard (1...32).contains(name.utf8.count), let first = name.utf8.first else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95 }
        return ok(first) && first != 45 && first != 95 && name.utf8.allSatisfy(ok)
    }
}
