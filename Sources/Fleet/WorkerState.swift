/// A bot worker's state, the same word everywhere: ctl, logs and the API.
public enum WorkerState: String, Sendable, Codable, CaseIterable {
    case stopped
    case starting
    case connecting
    case ready
    case resuming
    case backoff
    case stopping
    /// Crash loop: the restart budget is spent; started again only by hand.
    case failed
    /// Discord refused the token (close 4004): restarting would only burn identify quota.
    case authFailed = "auth_failed"
    /// Discord refused the configuration (close 4010-4014: shard, version, intents).
    case configFailed = "config_failed"

    /// States that need an operator before the bot runs again.
    public var needsOperator: Bool {
        self == .failed || self == .authFailed || self == .configFailed
    }
}
