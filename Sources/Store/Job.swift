import IPC
import Fleet
import Logging
import Storage

/// What a bulk job does to each of its items.
public enum JobKind: String, Codable, Sendable {
    case start, stop, restart, message
    /// Show or hide products (the selector and `visible` are in the job's content), then bring every
    /// display of the catalogs concerned up to date: one item per display.
    case product_visibility
    /// Re-render displays: one item per display.
    case display_refresh

    /// Jobs whose items are stock displays.
    package var isDisplayJob: Bool { self == .product_visibility || self == .display_refresh }
}

public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, partially_failed, failed, cancelled

    package var isFinished: Bool { ![.queued, .running].contains(self) }
}

public enum JobItemState: String, Codable, Sendable, CaseIterable {
    case pending, ok, error, cancelled
}

/// One bot (lifecycle jobs) or one message target (message jobs) of a job.
public struct JobItem: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
        package init(code: ErrorCode, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var seq: Int
    public var bot: String
    public var channel_id: String?
    /// The stock display of a display job's item.
    public var display_id: Int64?
    public var state: JobItemState
    public var message_id: String?
    public var error: Failure?
    /// Unix milliseconds.
    public var started_at: Int64?
    public var finished_at: Int64?
    package init(seq: Int, bot: String, channel_id: String? = nil, display_id: Int64? = nil, state: JobItemState, message_id: String? = nil, error: Failure? = nil, started_at: Int64? = nil, finished_at: Int64? = nil) {
        self.seq = seq
        self.bot = bot
        self.channel_id = channel_id
        self.display_id = display_id
        self.state = state
        self.message_id = message_id
        self.error = error
        self.started_at = started_at
        self.finished_at = finished_at
    }
}

/// A bulk operation as `GET /api/v1/jobs/{id}` shows it. Times are Unix milliseconds.
public struct Job: Codable, Sendable {
    public struct Progress: Codable, Sendable, Equatable {
        public var total = 0
        public var pending = 0
        public var succeeded = 0
        public var failed = 0
        public var cancelled = 0
        package init(total: Int = 0, pending: Int = 0, succeeded: Int = 0, failed: Int = 0, cancelled: Int = 0) {
            self.total = total
            self.pending = pending
            self.succeeded = succeeded
            self.failed = failed
            self.cancelled = cancelled
        }
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
    package static func finalState(_ p: Progress, cancelled: Bool) -> JobState {
        if cancelled && p.cancelled > 0 { return .cancelled }
        if p.failed == 0 { return .succeeded }
        return p.succeeded == 0 ? .failed : .partially_failed
    }
    package init(id: String, kind: JobKind, state: JobState, interrupted: Bool, cancel_requested: Bool, created_at: Int64, started_at: Int64? = nil, finished_at: Int64? = nil, progress: Progress, items: [JobItem]? = nil) {
        self.id = id
        self.kind = kind
        self.state = state
        self.interrupted = interrupted
        self.cancel_requested = cancel_requested
        self.created_at = created_at
        self.started_at = started_at
        self.finished_at = finished_at
        self.progress = progress
        self.items = items
    }
}

package func nowMilliseconds() -> Int64 { WallClock.now().milliseconds }

/// A job to create: its kind, the request as received (for Idempotency-Key
/// comparison), the message for message jobs, and one target per item.
package struct JobSpec: Sendable {
    package var kind: JobKind
    package var request: String
    package var content: String?
    package var embeds: String?
    package var targets: [(bot: String, channelID: String?)]
    /// For display jobs: the display of each target, in the same order.
    package var displayIDs: [Int64]?
    package init(kind: JobKind, request: String, content: String? = nil, embeds: String? = nil, targets: [(bot: String, channelID: String?)],
                 displayIDs: [Int64]? = nil) {
        self.kind = kind
        self.request = request
        self.content = content
        self.embeds = embeds
        self.targets = targets
        self.displayIDs = displayIDs
    }
}

/// Jobs and their items in SQLite.
