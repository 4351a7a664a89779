import Auth
import Foundation
import HTTP
import IPC
import JSON
import Synchronization
import Testing
import TestSupport
@testable import API

/// The rate limits, the cross-site checks and the shared principal, through a real `Router`.
@Suite struct GuardMiddlewareTests {
    final class Clock: Sendable {
        let value = Mutex<ContinuousClock.Instant>(ContinuousClock.now)
        var now: ContinuousClock.Instant { value.withLock { $0 } }
        func advance(_ d: Duration) { value.withLock { $0 += d } }
    }

    func settings(api: Int = 100, lifecycle: Int = 2, capacity: Int = 1000) -> RateLimits.Settings {
        var s = RateLimits.Settings()
        s.api = RateLimitPolicy(name: "api", quota: api, window: .seconds(60))
        s.lifecycle = RateLimitPolicy(name: "lifecycle", quota: lifecycle, window: .seconds(60))
        s.capacity = capacity
        return s
    }

    func router(limits: RateLimits? = nil, crossSite: CrossSiteMiddleware.Settings? = nil,
                extra: [any HTTPMiddleware] = []) -> Router {
        var router = Router()
        router.use(ErrorMiddleware())
        if let crossSite { router.use(CrossSiteMiddleware(crossSite)) }
        if let limits { router.use(RateLimitMiddleware(limits, scope: .address)) }
        for m in extra { router.use(m) }
        if let limits { router.use(RateLimitMiddleware(limits, scope: .principal)) }
        router.get("/api/v1/bots") { _, _ in .json(["ok": true] as [String: Bool]) }
        router.post("/api/v1/bots/{name}/stop") { _, _ in .json(["ok": true] as [String: Bool]) }
        return router
    }

    func request(_ method: HTTPMethod, _ target: String, from address: String = "10.0.0.1:5000", headers: HTTPHeaders = ["Host": "127.0.0.1:8750"],
                 body: String = "") -> HTTPRequest {
        var r = HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8))
        r.remoteAddress = address
        return r
    }

    @Test func aFloodFromTenThousandAddressesKeepsBucketMemoryBounded() {
        let clock = Clock()
        let limits = RateLimits(settings: settings(capacity: 1000), now: { clock.now })
        for i in 0..<10_000 {
            let decision = limits.take(.api, scope: .address, key: "10.\(i / 65536).\(i / 256 % 256).\(i % 256)")
            #expect(decision.allowed)
        }
        // Six tables (three classes, two scopes) of at most 1000 buckets each; the flood touched one.
        #expect(limits.storageCount <= 1000)
        let figures = limits.snapshot().tables.first { $0.policy == "api" && $0.scope == "address" }
        #expect(figures?.tracked == 1000)
        #expect(figures?.evictions == 9000)
        // Once refilled, buckets carry no state and the next prune drops them.
        clock.advance(.seconds(61))
        _ = limits.take(.api, scope: .address, key: "one more")
        #expect(limits.storageCount <= 1000)
        #expect(limits.snapshot().tables.first { $0.policy == "api" && $0.scope == "address" }?.tracked == 1)
    }

    @Test func theLifecycleLimitAnswers429WithRetryAfterAndTheRateLimitFields() async throws {
        let clock = Clock()
        let limits = RateLimits(settings: settings(lifecycle: 2), now: { clock.now })
        let router = router(limits: limits)
        for _ in 0..<2 {
            let ok = await router.respond(to: request(.post, "/api/v1/bots/shop/stop"))
            #expect(ok.status == .ok)
            #expect(ok.headers["RateLimit-Policy"] == "\"lifecycle\";q=2;w=60")
        }
        let refused = await router.respond(to: request(.post, "/api/v1/bots/shop/stop"))
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] == "30")
        #expect(refused.headers["RateLimit-Policy"] == "\"lifecycle\";q=2;w=60")
        #expect(refused.headers["RateLimit"] == "\"lifecycle\";r=0;t=30")
        guard case .bytes(let bytes) = refused.body else { Issue.record("no body"); return }
        #expect(try JSON.parse(bytes)["error"]?["code"]?.string == "RATE_LIMITED")
        // Reads have their own, larger bucket; another address has its own.
        #expect(await router.respond(to: request(.get, "/api/v1/bots")).status == .ok)
        #expect(await router.respond(to: request(.post, "/api/v1/bots/shop/stop", from: "10.0.0.2:1")).status == .ok)
        clock.advance(.seconds(30))
        #expect(await router.respond(to: request(.post, "/api/v1/bots/shop/stop")).status == .ok)
        // The admin view names who is limited.
        #expect(limits.snapshot().limited.contains { $0.key == "10.0.0.1" && $0.policy == "lifecycle" })
    }

    /// Stands in for the auth layer: fills the principal, and refuses with 403 before `next` when told to.
    struct FakeAuth: HTTPMiddleware {
        var refuse: Bool
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            context.principal = Principal(subject: "grafana", role: "viewer")  // the request's shared principal cell
            if refuse { throw APIError(.forbidden, ErrorCode("FORBIDDEN"), "needs operator") }
            return try await next(request, context)
        }
    }

    /// Reads the principal after the inner chain answered or threw, as the audit middleware does.
    final class Witness: HTTPMiddleware {
        let seen = Mutex<[String]>([])
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            defer { seen.withLock { $0.append(context.principal?.subject ?? "anonymous") } }
            return try await next(request, context)
        }
    }

    @Test func anOuterMiddlewareSeesThePrincipalAnInnerOneSetEvenWhenItRefused() async {
        let seen = Witness()
        for refuse in [false, true] {
            var router = Router()
            router.use(ErrorMiddleware())
            router.use(seen)
            router.use(FakeAuth(refuse: refuse))
            router.get("/api/v1/bots") { _, _ in .json([String]()) }
            let response = await router.respond(to: request(.get, "/api/v1/bots"))
            #expect(response.status.code == (refuse ? 403 : 200))
        }
        #expect(seen.seen.withLock { $0 } == ["grafana", "grafana"])
    }

    @Test func thePrincipalLimitCountsPerSubjectAcrossAddresses() async {
        let limits = RateLimits(settings: settings(lifecycle: 3))
        let router = router(limits: limits, extra: [FakeAuth(refuse: false)])
        // Three addresses, one principal: the address buckets each allow 3, the principal's runs out.
        var statuses: [Int] = []
        for i in 0..<4 { statuses.append(await router.respond(to: request(.post, "/api/v1/bots/a/stop", from: "10.1.0.\(i):1")).status.code) }
        #expect(statuses == [200, 200, 200, 429])
    }

    @Test func foreignHostsTextBodiesAndForeignOriginsAreRefusedAndListedOriginsGetCORS() async throws {
        let settings = CrossSiteMiddleware.Settings(allowedHosts: CrossSiteMiddleware.Settings.defaultHosts(listenHost: "127.0.0.1", port: 8750),
                                                    corsOrigins: ["https://dash.example.com"])
        let router = router(crossSite: settings)
        func code(_ r: HTTPResponse) -> String? {
            guard case .bytes(let b) = r.body else { return nil }
            return (try? JSON.parse(b))?["error"]?["code"]?.string
        }
        let rebinding = await router.respond(to: request(.get, "/api/v1/bots", headers: ["Host": "attacker.example:8750"]))
        #expect(rebinding.status.code == 421 && code(rebinding) == "MISDIRECTED_REQUEST")
        #expect(await router.respond(to: request(.get, "/api/v1/bots", headers: ["Host": "localhost:8750"])).status == .ok)
        #expect(await router.respond(to: request(.get, "/api/v1/bots", headers: ["Host": "localhost:9999"])).status.code == 421)
        let text = await router.respond(to: request(.post, "/api/v1/bots/a/stop",
                                                    headers: ["Host": "127.0.0.1:8750", "Content-Type": "text/plain"], body: "{}"))
        #expect(text.status.code == 415 && code(text) == "UNSUPPORTED_MEDIA_TYPE")
        #expect(text.headers["Accept-Post"] == "application/json")
        let form = await router.respond(to: request(.post, "/api/v1/bots/a/stop", headers: ["Host": "127.0.0.1:8750"], body: "a=b"))
        #expect(form.status.code == 415)
        let json = await router.respond(to: request(.post, "/api/v1/bots/a/stop",
                                                    headers: ["Host": "127.0.0.1:8750", "Content-Type": "application/json; charset=utf-8"],
                                                    body: "{}"))
        #expect(json.status == .ok)
        let foreign = await router.respond(to: request(.post, "/api/v1/bots/a/stop",
                                                       headers: ["Host": "127.0.0.1:8750", "Origin": "https://evil.example"]))
        #expect(foreign.status.code == 403 && code(foreign) == "ORIGIN_NOT_ALLOWED")
        #expect(foreign.headers["Access-Control-Allow-Origin"] == nil)
        let sameOrigin = await router.respond(to: request(.post, "/api/v1/bots/a/stop",
                                                          headers: ["Host": "127.0.0.1:8750", "Origin": "http://127.0.0.1:8750"]))
        #expect(sameOrigin.status == .ok)
        let listed = await router.respond(to: request(.get, "/api/v1/bots", headers: ["Host": "127.0.0.1:8750", "Origin": "https://dash.example.com"]))
        #expect(listed.headers["Access-Control-Allow-Origin"] == "https://dash.example.com")
        #expect(listed.headers["Vary"] == "Origin")
        let unlisted = await router.respond(to: request(.get, "/api/v1/bots", headers: ["Host": "127.0.0.1:8750", "Origin": "https://evil.example"]))
        #expect(unlisted.status == .ok && unlisted.headers["Access-Control-Allow-Origin"] == nil)
        let preflight = await router.respond(to: request(.options, "/api/v1/bots/a/stop",
                                                         headers: ["Host": "127.0.0.1:8750", "Origin": "https://dash.example.com",
                                                                   "Access-Control-Request-Method": "POST"]))
        #expect(preflight.status == .noContent)
        #expect(preflight.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(preflight.headers["Access-Control-Allow-Headers"]?.contains("Authorization") == true)
        let foreignPreflight = await router.respond(to: request(.options, "/api/v1/bots/a/stop",
                                                                headers: ["Host": "127.0.0.1:8750", "Origin": "https://evil.example",
                                                                          "Access-Control-Request-Method": "POST"]))
        #expect(foreignPreflight.status.code == 405 && foreignPreflight.headers["Access-Control-Allow-Origin"] == nil)
    }
}
