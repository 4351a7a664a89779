import IPC

/// What `botvisorctl status --json` and `GET /api/v1/bots/{name}` show for one bot.
public struct BotStatus: Codable, Sendable, Equatable {
    public var name: String
    public var state: WorkerState
    public var enabled: Bool
    public var pid: Int32?
    /// Only while a worker process exists; never negative.
    public var uptimeSeconds: Double?
    public var restarts: Int
    public var restartsInWindow: Int
    public var lastExit: String?
    /// Why the bot is in its current state: failed (crash loop), auth_failed, config_failed, or backoff
    /// because the worker cannot be spawned. Cleared once the bot is ready; `lastExit` keeps the history.
    public var reason: String?
    public var gatewayRTTMillis: Double?
    public var memoryBytes: Int?
    public var metrics: WorkerMetrics?
    /// The configuration, without the token.
    public var config: BotConfigView?

    package enum CodingKeys: String, CodingKey {
        case name, state, enabled, pid, restarts, reason, metrics, config
        case uptimeSeconds = "uptime_seconds"
        case restartsInWindow = "restarts_in_window"
        case lastExit = "last_exit"
        case gatewayRTTMillis = "gateway_rtt_ms"
        case memoryBytes = "memory_bytes"
    }
    package init(name: String, state: WorkerState, enabled: Bool, pid: Int32? = nil, uptimeSeconds: Double? = nil, restarts: Int, restartsInWindow: Int, lastExit: String? = nil, reason: String? = nil, gatewayRTTMillis: Double? = nil, memoryBytes: Int? = nil, metrics: WorkerMetrics? = nil, config: BotConfigView? = nil) {
        self.name = name
        self.state = state
        self.enabled = enabled
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.restarts = restarts
        self.restartsInWindow = restartsInWindow
        self.lastExit = lastExit
        self.reason = reason
        self.gatewayRTTMillis = gatewayRTTMillis
        self.memoryBytes = memoryBytes
        self.metrics = metrics
        self.config = config
    }
}
