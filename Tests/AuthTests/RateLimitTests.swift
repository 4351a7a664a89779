import Testing
@testable import Auth

@Suite struct TokenBucketTests {
    let policy = RateLimitPolicy(name: "api", quota: 10, window: .seconds(10))
    let t0 = ContinuousClock.now

    @Test func aBurstUpToTheQuotaPassesThenTheNextIsRefused() {
        var bucket = TokenBucket(policy: policy, now: t0)
        for i in 0..<10 {
            let d = bucket.take(now: t0)
            #expect(d.allowed && d.remaining == 9 - i)
        }
        let refused = bucket.take(now: t0)
        #expect(!refused.allowed && refused.remaining == 0 && refused.retryAfter == 1)
    }

    @Test func tokensComeBackAtTheSustainedRate() {
        var bucket = TokenBucket(policy: policy, now: t0)
        for _ in 0..<10 { _ = bucket.take(now: t0) }
        #expect(!bucket.take(now: t0 + .milliseconds(900)).allowed)
        #expect(bucket.take(now: t0 + .milliseconds(1000)).allowed)
        #expect(!bucket.take(now: t0 + .milliseconds(1000)).allowed)
        // Never more than the quota, however long it idles.
        let later = t0 + .seconds(3600)
        #expect(bucket.isFull(now: later))
        #expect(bucket.take(now: later).remaining == 9)
    }

    @Test func aCostlyRequestWaitsForEnoughTokens() {
        let slow = RateLimitPolicy(name: "bulk", quota: 5, window: .seconds(50))
        var bucket = TokenBucket(policy: slow, now: t0)
        #expect(bucket.take(3, now: t0).allowed)
        let refused = bucket.take(3, now: t0)
        #expect(!refused.allowed && refused.retryAfter == 10)
    }

    @Test func theHeadersFollowTheIETFDraft() {
        var bucket = TokenBucket(policy: policy, now: t0)
        let ok = bucket.take(now: t0)
        #expect(ok.headers.map(\.name) == ["RateLimit-Policy", "RateLimit"])
        #expect(ok.headers[0].value == #""api";q=10;w=10"#)
        #expect(ok.headers[1].value == #""api";r=9;t=1"#)
        for _ in 0..<9 { _ = bucket.take(now: t0) }
        let refused = bucket.take(now: t0 + .milliseconds(200))
        #expect(refused.headers.map(\.name) == ["RateLimit-Policy", "RateLimit", "Retry-After"])
        // With Retry-After present, t names the same moment.
        #expect(refused.headers[1].value == #""api";r=0;t=1"#)
        #expect(refused.headers[2].value == "1")
        #expect(RateLimitPolicy(name: #"a"b\c"#, quota: 1, window: .seconds(1)).policyHeaderValue == #""a\"b\\c";q=1;w=1"#)
    }
}

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

@Suite struct BoundedTableTests {
    @Test func theLeastRecentlyUsedEntryIsEvictedAndRemovalKeepsTheListIntact() {
        var table = BoundedTable<Int, String>(capacity: 3)
        table.set(1, "a")
        table.set(2, "b")
        table.set(3, "c")
        #expect(table.touch(1) == "a")
        let evicted = table.set(4, "d")
        #expect(evicted?.key == 2)
        #expect(table.entries.map(\.key) == [4, 1, 3])
        table.remove(1)
        #expect(table.entries.map(\.key) == [4, 3])
        table.set(5, "e")
        table.set(6, "f")
        #expect(table.entries.map(\.key) == [6, 5, 4])
        #expect(table.count == 3 && table.storageCount == 3)
        table.removeAll { key, _ in key % 2 == 0 }
        #expect(table.entries.map(\.key) == [5])
        #expect(table.peek(5) == "e" && table.peek(6) == nil)
    }
}
