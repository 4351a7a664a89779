import Fleet
import HTTP
import Operations
import Store

/// Health and metrics-summary responses, kept per query for at most `ttl` (1 s) from
/// the moment their computation began, so an answer is never older than that; emptied
/// when new samples are stored. Many dashboards polling at once then cost one
/// computation per second, not one per request.
public actor MonitoringCache {
    private struct Entry {
        package var response: HTTPResponse
        package var computedAt: ContinuousClock.Instant
    }

    public nonisolated let ttl: Duration
    /// Where the cache reads the time: `ContinuousClock.now` except in tests, which move a manual clock
    /// past the lifetime instead of sleeping through it.
    private let now: @Sendable () -> ContinuousClock.Instant
    private var entries: [String: Entry] = [:]
    /// Bumped by `invalidate`: a computation that began before it must not be kept.
    private var generation: UInt64 = 0

    public init(ttl: Duration = .seconds(1), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.ttl = ttl
        self.now = now
    }

    /// The cached response for `key`, or `compute`'s, which is kept unless it is a
    /// client or server error (those carry the request's id in their body). A thrown error is kept
    /// by nobody: it goes to the error middleware.
    public func response(for key: String, compute: @Sendable () async throws -> HTTPResponse) async rethrows -> HTTPResponse {
        let started = now()
        if let entry = entries[key], started - entry.computedAt < ttl { return entry.response }
        let startGeneration = generation
        let response = try await compute()
        // Re-checked after the await: an invalidation meanwhile makes this answer stale already.
        if startGeneration == generation, response.status.code < 400 || response.status.code == 503 {
            if entries.count >= 64 {
                let current = now()
                entries = entries.filter { current - $0.value.computedAt < ttl }
            }
            entries[key] = Entry(response: response, computedAt: started)
        }
        return response
    }

    public func invalidate() {
        generation &+= 1
        entries.removeAll()
    }
}
