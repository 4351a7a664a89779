/// Counters and gauges a worker reports periodically. Counters are totals since the worker started.
public struct WorkerMetrics: Codable, Sendable, Equatable {
    public var gatewayRTTMillis: Double?
    public var events: Int
    public var commands: Int
    public var restCalls: Int
    public var rest429: Int
    public var reconnects: Int
    public var resumes: Int
    public var identifies: Int
    /// 401/403/429 responses in the last 10 minutes (Discord's invalid-request budget).
    public var invalidRequests: Int
    /// Milliseconds since the last gateway dispatch, nil before the first.
    public var lastDispatchAgeMillis: Double?
    /// The worker holds its REST calls: it reached the invalid-request allowance botvisord gave it.
    public var restPaused: Bool?

    public init(gatewayRTTMillis: Double? = nil, events: Int = 0, commands: Int = 0, restCalls: Int = 0, rest429: Int = 0,
                reconnects: Int = 0, resumes: Int = 0, identifies: Int = 0, invalidRequests: Int = 0,
                lastDispatchAgeMillis: Double? = nil) {
        self.gatewayRTTMillis = gatewayRTTMillis
        self.events = events
        self.commands = commands
        self.restCalls = restCalls
        self.rest429 = rest429
        self.reconnects = reconnects
        self.resumes = resumes
        self.identifies = identifies
        self.invalidRequests = invalidRequests
        self.lastDispatchAgeMillis = lastDispatchAgeMillis
    }

    enum CodingKeys: String, CodingKey {
        case events, commands, reconnects, resumes, identifies
        case gatewayRTTMillis = "gateway_rtt_ms"
        case restCalls = "rest_calls"
        case rest429 = "rest_429"
        case invalidRequests = "invalid_requests"
        case lastDispatchAgeMillis = "last_dispatch_age_ms"
        case restPaused = "rest_paused"
    }
}
