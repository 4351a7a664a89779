import Synchronization

/// A monotonic time that moves only when a test says so: injected into caches and timers
/// in place of `ContinuousClock.now`, so a test about a lifetime never sleeps through it.
public final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let elapsed = Mutex<Duration>(.zero)

    public init() {}

    /// The current instant: the moment the clock was made plus every `advance`.
    public var now: ContinuousClock.Instant { start + elapsed.withLock { $0 } }

    public func advance(by duration: Duration) { elapsed.withLock { $0 += duration } }
}
