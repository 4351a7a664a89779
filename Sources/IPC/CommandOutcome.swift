/// How a handled command ended. The raw values are the wire and table spelling
/// (`command_logs.outcome`, the IPC record, the API's `outcome` filter).
public enum CommandOutcome: String, Codable, Sendable, CaseIterable, Hashable {
    /// Answered.
    case ok
    /// The handler or Discord failed; `errorCode` says how.
    case error
    /// Refused by the per-user anti-spam limit.
    case rateLimited = "rate_limited"
    /// Not finished within the bot's command timeout.
    case timeout
    /// The interaction arrived past Discord's 3 s response deadline (as when replayed after an
    /// outage) and was not answered.
    case expired
    /// The worker died before the command finished; recorded by the next worker from the bot's spool.
    case interrupted

    /// The outcomes counted as failures (`/logs/failed`, the error rate in `/logs/stats`).
    public static let failures: [CommandOutcome] = [.error, .timeout]

    public var isFailure: Bool { Self.failures.contains(self) }
}
