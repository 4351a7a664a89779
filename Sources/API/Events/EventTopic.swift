/// A topic of the live feed (`GET /api/v1/events`): what a client subscribes to.
public struct EventTopic: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public var rawValue: String
    public init?(rawValue: String) {
        guard EventTopic.allCases.contains(where: { $0.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }
    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// State changes, worker exits, restarts (a new generation), session handovers, bots added and removed.
    public static let bots = EventTopic("bots")
    /// Each committed command record.
    public static let commands = EventTopic("commands")
    /// Each batch of metric samples stored.
    public static let metrics = EventTopic("metrics")
    /// Bulk job progress and per-item results.
    public static let jobs = EventTopic("jobs")
    /// Stock changes and stock displays updated or broken.
    public static let stock = EventTopic("stock")
    /// Each audit row as it is written (`audit.recorded`, the row as `GET /api/v1/audit` lists it); admins only.
    public static let audit = EventTopic("audit")

    public static let allCases: [EventTopic] = [.bots, .commands, .metrics, .jobs, .stock, .audit]

    public var description: String { rawValue }

    /// Whether a caller with `role` may follow this topic. Roles are the auth layer's words (`viewer`,
    /// `operator`, `admin`); no principal means the API runs without authentication, and all is allowed.
    public func isAllowed(for role: String?) -> Bool {
        guard let role else { return true }
        if self == .audit { return role == "admin" }
        return ["viewer", "operator", "admin"].contains(role)
    }

    /// The filters a subscription to this topic may carry.
    public var filterNames: [String] {
        switch self {
        case .commands: ["bot", "guild", "outcome", "command"]
        case .bots: ["bot"]
        default: []
        }
    }
}
