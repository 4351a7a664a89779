/// When to restart a worker that exited: at once after a healthy run, then
/// exponential backoff with a cap and jitter for crashes in a row, reset after a healthy period, and a restart budget per window
/// (OTP's intensity/period) after which the bot is `failed`.
/// A plain state machine: the caller passes the clock and a random source.
public struct RestartPolicy: Sendable {
    public struct Settings: Sendable, Equatable {
        public var initialBackoff: Duration = .seconds(1)
        public var maximumBackoff: Duration = .seconds(60)
        /// Restarts allowed within `budgetWindow` before the bot is marked failed.
        public var budget: Int = 5
        public var budgetWindow: Duration = .seconds(300)
        /// A worker that ran this long was healthy: the backoff starts over.
        public var healthyAfter: Duration = .seconds(60)
        public init() {}
    }

    public enum Decision: Sendable, Equatable {
        case restart(after: Duration)
        case giveUp(reason: String)
    }

    public var settings: Settings
    private var restarts: [ContinuousClock.Instant] = []
    private var consecutiveFailures = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Restarts counted in the current window.
    public func restartsInWindow(now: ContinuousClock.Instant) -> Int {
        restarts.filter { now - $0 < settings.budgetWindow }.count
    }

    /// The worker, started at `startedAt`, exited unexpectedly at `now`.
    /// `random` is uniform in [0, 1) and spreads restarts of many bots apart.
    public mutating func workerExited(startedAt: ContinuousClock.Instant, now: ContinuousClock.Instant,
                                      random: Double) -> Decision {
        if now - startedAt >= settings.healthyAfter { consecutiveFailures = 0 }
        restarts.removeAll { now - $0 >= settings.budgetWindow }
        guard restarts.count < settings.budget else {
            return .giveUp(reason: "\(restarts.count) restarts within \(settings.budgetWindow)")
        }
        restarts.append(now)
        let failures = consecutiveFailures
        consecutiveFailures += 1
        // The first crash after a healthy run restarts at once: a resume costs ~20 ms and no identify, and
        // waiting only makes the bot miss events. Backoff starts with the second crash in a row.
        guard failures > 0 else { return .restart(after: .zero) }
        let exponent = min(failures - 1, 30)
        var backoff = settings.initialBackoff * (1 << exponent)
        if backoff > settings.maximumBackoff { backoff = settings.maximumBackoff }
        // Jitter: between half and the whole backoff, so bots that died together do not return together.
        return .restart(after: backoff * (0.5 + 0.5 * random))
    }

    /// An operator started the bot by hand: forget past failures.
    public mutating func reset() {
        restarts.removeAll()
        consecutiveFailures = 0
    }
}
