import Discord
import IPC
import JSON
import Testing
@testable import BotWorker

@Suite struct RESTRateLimiterTests {
    let t0 = ContinuousClock.now

    @Test func routesKeepTheirMajorParameter() {
        let a = RESTRoute(method: "POST", path: "/channels/111/messages")
        let b = RESTRoute(method: "POST", path: "/channels/222/messages")
        #expect(a.template == b.template && a.majorParameter == "111" && b.majorParameter == "222")
        #expect(RESTRoute(method: "PATCH", path: "/channels/1/messages/99").template == "/channels/{id}/messages/{message_id}")
        #expect(RESTRoute(method: "POST", path: "/interactions/5/tok/callback").isInteraction)
        #expect(!RESTRoute(method: "GET", path: "/users/@me").isInteraction)
    }

    @Test func aBucketLearnedFromHeadersIsRespectedPerChannel() {
        var l = RESTRateLimiter()
        let a = RESTRoute(method: "POST", path: "/channels/111/messages")
        let b = RESTRoute(method: "POST", path: "/channels/222/messages")
        #expect(l.reserve(a, now: t0) == .go)
        // Unknown bucket: a second request waits for the first answer.
        if case .go = l.reserve(a, now: t0) { Issue.record("two in flight before the bucket was known") }
        l.record(a, status: 200, headers: ["x-ratelimit-bucket": "h", "x-ratelimit-remaining": "1", "x-ratelimit-reset-after": "5"],
                 retryAfter: nil, global: false, now: t0)
        #expect(l.reserve(a, now: t0) == .go)
        #expect(l.reserve(a, now: t0) == .waitUntil(t0 + .seconds(5)))
        // Another channel has its own bucket.
        #expect(l.reserve(b, now: t0) == .go)
        #expect(l.reserve(a, now: t0 + .seconds(5)) == .go)
    }

    @Test func theGlobalLimitIs50PerSecondButInteractionsAreExempt() {
        var l = RESTRateLimiter()
        var went = 0
        for i in 0..<60 {
            let r = RESTRoute(method: "GET", path: "/channels/\(i)/messages/1")
            if l.reserve(r, now: t0) == .go { went += 1 }
        }
        // Two below Discord's 50 per second, for arrival jitter.
        #expect(went == 48)
        #expect(l.reserve(RESTRoute(method: "POST", path: "/interactions/1/t/callback"), now: t0) == .go)
    }

    @Test func aGlobal429LocksEveryRoute() {
        var l = RESTRateLimiter()
        let a = RESTRoute(method: "GET", path: "/users/@me")
        _ = l.reserve(a, now: t0)
        l.record(a, status: 429, headers: ["x-ratelimit-global": "true"], retryAfter: 1.5, global: true, now: t0)
        #expect(l.reserve(RESTRoute(method: "POST", path: "/channels/9/messages"), now: t0) == .waitUntil(t0 + .milliseconds(1500)))
    }

    @Test func invalidRequestsCountOver10Minutes() {
        var c = InvalidRequestCounter()
        c.record(status: 401, scope: nil, now: t0)
        c.record(status: 429, scope: "shared", now: t0)
        c.record(status: 429, scope: "user", now: t0)
        c.record(status: 200, scope: nil, now: t0)
        #expect(c.count(now: t0) == 2)
        #expect(c.count(now: t0 + .seconds(601)) == 0)
    }
}
