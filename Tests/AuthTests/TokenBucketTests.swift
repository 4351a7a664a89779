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
