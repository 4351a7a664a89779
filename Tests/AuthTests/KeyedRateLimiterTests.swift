import Testing
@testable import Auth

@Suite struct KeyedRateLimiterTests {
    let t0 = ContinuousClock.now

    @Test func eachKeyHasItsOwnBucket() {
        var limiter = KeyedRateLimiter<String>(policy: RateLimitPolicy(name: "login", quota: 2, window: .seconds(60)), capacity: 100)
        #expect(limiter.take("10.0.0.1", now: t0).allowed)
        #expect(limiter.take("10.0.0.1", now: t0).allowed)
        #expect(!limiter.take("10.0.0.1", now: t0).allowed)
        #expect(limiter.take("10.0.0.2", now: t0).allowed)
        #expect(limiter.snapshot(now: t0).map(\.key).sorted() == ["10.0.0.1", "10.0.0.2"])
        #expect(limiter.snapshot(now: t0).first { $0.key == "10.0.0.1" }?.remaining == 0)
    }

    @Test func aFloodFromTenThousandAddressesKeepsMemoryBounded() {
        var limiter = KeyedRateLimiter<String>(policy: RateLimitPolicy(name: "api", quota: 60, window: .seconds(60)), capacity: 1_024)
        for i in 0..<10_000 {
            let address = "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)"
            for _ in 0..<3 { _ = limiter.take(address, now: t0 + .milliseconds(Int64(i))) }
        }
        #expect(limiter.count == 1_024)
        #expect(limiter.storageCount == 1_024)
        #expect(limiter.evictions == 10_000 - 1_024)
    }

    @Test func aKeyBeingLimitedStaysLimitedWhileRecentlySeen() {
        var limiter = KeyedRateLimiter<String>(policy: RateLimitPolicy(name: "api", quota: 1, window: .seconds(60)), capacity: 3)
        #expect(limiter.take("attacker", now: t0).allowed)
        #expect(!limiter.take("attacker", now: t0).allowed)
        _ = limiter.take("a", now: t0)
        _ = limiter.take("b", now: t0)
        #expect(!limiter.take("attacker", now: t0).allowed)  // touched: not the eviction candidate
        _ = limiter.take("c", now: t0)                      // evicts "a", the least recently seen
        #expect(!limiter.take("attacker", now: t0).allowed)
    }

    @Test func pruningDropsRefilledBucketsOnly() {
        var limiter = KeyedRateLimiter<String>(policy: RateLimitPolicy(name: "api", quota: 10, window: .seconds(10)), capacity: 10)
        _ = limiter.take("old", now: t0)
        for _ in 0..<10 { _ = limiter.take("busy", now: t0 + .seconds(5)) }
        limiter.prune(now: t0 + .seconds(6))
        #expect(limiter.count == 1)
        #expect(limiter.snapshot(now: t0 + .seconds(6)).map(\.key) == ["busy"])
    }
}
