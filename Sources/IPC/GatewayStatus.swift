/// Where a worker's gateway session is, as the worker reports it (`StateReport`). The same type is
/// the worker's `GatewaySession.Status`; the supervisor maps it onto its `WorkerState` by name, not by
/// matching raw strings.
public enum GatewayStatus: String, Codable, Sendable, CaseIterable {
    case connecting
    case resuming
    case ready
    case stopped
    /// Discord refused the session for good (the worker exits with the matching code next).
    case failed
}
