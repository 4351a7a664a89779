import IOCore

/// A bot's recent worker exits and spawn failures, oldest first, each with why it happened and what botvisord did
/// next: what `GET /api/v1/bots/{name}/exits` and the dashboard's Bot page show. Kept in memory since botvisord
/// started (the daemon log keeps the full story), at most `capacity` per bot.
public struct ExitHistory: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What botvisord did after the exit.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Spawned a replacement at once.
        case restarted
        /// Waits `backoff` before the replacement (the restart policy's backoff).
        case backoff
        /// A start-up failure (no hello, no welcome, no spawn): tried again on the spawn backoff, not a crash.
        case startRetry = "start_retry"
        /// The restart budget is spent: the bot waits for an operator.
        case failed
        /// Discord refused the token or the configuration: never retried by itself.
        case authFailed = "auth_failed"
        case configFailed = "config_failed"
        /// Asked to stop (or disabled): nothing follows.
        case stopped
    }

    public struct Entry: Sendable, Equatable {
        public var at: Instant
        public var generation: UInt64
        /// Nil when the worker could not even be spawned.
        public var status: ExitStatus?
        public var ranFor: Duration
        /// What botvisord saw first, when it had a hand in the exit: a requested stop or restart, missed IPC
        /// heartbeats, a missed hello, a stop that took too long, a spawn that failed.
        public var cause: String?
        public var outcome: Outcome
        public var backoff: Duration?
        /// The bot's reason after the exit (crash loop, refused token, ...), when it has one.
        public var reason: String?
    }

    public static let capacity = 20
    public private(set) var entries: [Entry] = []

    public init() {}

    mutating func append(_ entry: Entry) {
        if entries.count == Self.capacity { entries.removeFirst() }
        entries.append(entry)
    }
}

/// One entry as the API shows it: `time` is Unix milliseconds, like every timestamp on the wire.
public struct BotExit: Codable, Sendable, Equatable {
    public var time: Int64
    public var generation: UInt64
    /// "exited with status 1", "killed by signal 9", or "not spawned".
    public var exit: String
    public var exit_code: Int32?
    public var signal: Int32?
    public var ran_for_seconds: Double
    public var cause: String?
    public var then: ExitHistory.Outcome
    public var backoff_ms: Int64?
    public var reason: String?

    package init(_ entry: ExitHistory.Entry, time: Int64) {
        self.time = time
        generation = entry.generation
        exit = entry.status?.description ?? "not spawned"
        if case .exited(let code) = entry.status { exit_code = code }
        if case .signaled(let number) = entry.status { signal = number }
        ran_for_seconds = (entry.ranFor.seconds * 1000).rounded() / 1000
        cause = entry.cause
        then = entry.outcome
        backoff_ms = entry.backoff?.milliseconds
        reason = entry.reason
    }
}
