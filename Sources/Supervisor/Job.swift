import FoundationEssentials
import Storage

/// What a bulk job does to each of its items.
public enum JobKind: String, Codable, Sendable {
    case start, stop, restart, message
}

public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, partially_failed, failed, cancelled

    var isFinished: Bool { ![.queued, .running].contains(self) }
}

public enum JobItemState: String, Codable, Sendable, CaseIterable {
    case pending, ok, error, cancelled
}

/// One bot (lifecycle jobs) or one message target (message jobs) of a job.
public struct JobItem: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }
    public var seq: Int
    public var bot: String
    public var channel_id: String?
    public var state: JobItemState
    public var message_id: String?
    public var error: Failure?
    /// Unix milliseconds.
    public var started_at: Int64?
    public var finished_at: Int64?
}

/// A bulk operation as `GET /api/v1/jobs/{id}` shows it. Times are Unix milliseconds.
public struct Job: Codable, Sendable {
    public struct Progress: Codable, Sendable, Equatable {
        public var total = 0
        public var pending = 0
        public var succeeded = 0
        public var failed = 0
        public var cancelled = 0
    }
    public var id: String
    public var kind: JobKind
    public var state: JobState
    /// botvisord stopped while this job was queued or running.
    public var interrupted: Bool
    public var cancel_requested: Bool
    public var created_at: Int64
    public var started_at: Int64?
    public var finished_at: Int64?
    public var progress: Progress
    /// Per-item results (in `GET /api/v1/jobs/{id}`, not in the list).
    public var items: [JobItem]?

    /// The state a job ends in once no item is pending.
    static func finalState(_ p: Progress, cancelled: Bool) -> JobState {
        if cancelled && p.cancelled > 0 { return .cancelled }
        if p.failed == 0 { return .succeeded }
        return p.succeeded == 0 ? .failed : .partially_failed
    }
}

func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// A job to create: its kind, the request as received (for Idempotency-Key
/// comparison), the message for message jobs, and one target per item.
struct JobSpec: Sendable {
    var kind: JobKind
    var request: String
    var content: String?
    var embeds: String?
    var targets: [(bot: String, channelID: String?)]
}

/// Jobs and their items in SQLite.
