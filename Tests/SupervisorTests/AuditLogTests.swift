import Auth
import Foundation
import HTTP
import IPC
import JSON
import Logging
import Synchronization
import Testing
import TestSupport
@testable import API
@testable import Store

/// The audit log on a real SQLite file: the chain, what the `sqlite3` CLI can do to it, retention,
/// aggregation of rate-limit refusals, and which requests become which rows.
@Suite struct AuditLogTests {
    /// A clock a test moves by hand (Unix ms).
    final class Clock: Sendable {
        let value = Mutex<Int64>(1_800_000_000_000)
        var now: Int64 { value.withLock { $0 } }
        func advance(ms: Int64) { value.withLock { $0 += ms } }
    }

    func withTrail(_ body: (AuditTrail, SupervisorStore, String, Clock) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let clock = Clock()
            let trail = AuditTrail(store: store, logger: Logger(label: "audit-test"), now: { clock.now })
            try await body(trail, store, "\(dir)/botvisor.db", clock)
            await store.close()
        }
    }

    func sqlite(_ db: String, _ sql: String) async throws {
        let result = try await runProcess(Peer.sqlite3.path!, [db, sql])
        #expect(result.status == 0, "\(result.stderr)")
    }

    func record(_ trail: AuditTrail, _ n: Int) async {
        for i in 1...n {
            await trail.record(actor: "admin", address: "127.0.0.1", action: .botStop, target: "bot\(i)", outcome: .success,
                               requestID: "req\(i)", details: ["status": "200"])
        }
    }

    @Test func anIntactChainVerifiesAndEachRowHangsFromTheOneBefore() async throws {
        try await withTrail { trail, store, _, _ in
            await record(trail, 4)
            let newest = try #require(try await store.auditRows(AuditQuery()).first)
            #expect(try await store.verifyAudit() == .intact(rows: 4, head: AuditAnchor(sequence: newest.entry.sequence, hash: newest.hash)))
            let rows = try await store.auditRows(AuditQuery()).reversed().map { $0 }
            #expect(rows.map(\.entry.sequence) == [1, 2, 3, 4])
            #expect(rows[0].previousHash == AuditAnchor.genesis.hash)
            for i in 1..<rows.count { #expect(rows[i].previousHash == rows[i - 1].hash) }
        }
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func aRowEditedWithTheSqliteCLIIsNamedByVerify() async throws {
        try await withTrail { trail, store, db, _ in
            await record(trail, 5)
            try await sqlite(db, "UPDATE audit_log SET target = 'innocent' WHERE id = 3")
            let result = try await store.verifyAudit()
            #expect(result == .broken(.altered(sequence: 3)))
            guard case .broken(let problem) = result else { return }
            #expect(problem.sequence == 3)
            #expect(problem.description.contains("row 3 was altered"))
        }
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func rowsDeletedWithTheSqliteCLIAreNamedByVerifyInTheMiddleAtTheStartAndAtTheEnd() async throws {
        try await withTrail { trail, store, db, _ in
            await record(trail, 6)
            try await sqlite(db, "DELETE FROM audit_log WHERE id = 4")
            #expect(try await store.verifyAudit() == .broken(.removed(after: 3, before: 5)))
        }
        try await withTrail { trail, store, db, _ in
            await record(trail, 3)
            try await sqlite(db, "DELETE FROM audit_log WHERE id = 1")
            #expect(try await store.verifyAudit() == .broken(.removed(after: 0, before: 2)))
        }
        try await withTrail { trail, store, db, _ in
            await record(trail, 3)
            // The newest row: no later row's link breaks, but SQLite's AUTOINCREMENT high-water mark remembers it.
            try await sqlite(db, "DELETE FROM audit_log WHERE id = 3")
            let result = try await store.verifyAudit()
            #expect(result == .broken(.removed(after: 2, before: 4)))
            if case .broken(let problem) = result { #expect(problem.sequence == 3) }
        }
    }

    @Test func retentionRemovesAWholePrefixAndTheChainStillVerifiesFromTheNewAnchor() async throws {
        try await withTrail { trail, store, _, clock in
            await record(trail, 3)
            clock.advance(ms: 10 * 86_400_000)
            await record(trail, 2)
            // Rows 1-3 are ten days old; a retention of five days removes them (and only them).
            await trail.prune(olderThan: .seconds(5 * 86_400))
            let anchor = try await store.auditAnchor()
            #expect(anchor.sequence == 3)
            let rows = try await store.auditRows(AuditQuery())
            #expect(rows.map(\.entry.sequence) == [6, 5, 4])
            #expect(rows.first?.entry.action == AuditAction.auditPruned.rawValue)
            #expect(rows.first?.entry.details["chain_starts_after"] == "3")
            guard case .intact(let count, _) = try await store.verifyAudit() else {
                Issue.record("the pruned chain does not verify")
                return
            }
            #expect(count == 3)
            // New rows keep counting after the anchor: ids are never reused.
            await record(trail, 1)
            #expect(try await store.auditRows(AuditQuery()).first?.entry.sequence == 7)
        }
    }

    @Test func secretsNeverReachTheAuditDetails() async throws {
        try await withTrail { trail, store, _, _ in
            await trail.record(actor: "admin", action: .tokenCreate, target: "ci", outcome: .success,
                               details: ["password": "hunter2", "access_token": "abc", "note": "bvr_0123456789", "name": "ci"])
            // The middleware copies only named safe fields out of a body; a password in the body stays out.
            let body = Array(#"{"username":"alice","password":"hunter2","role":"viewer","token":"eyJhbGciOi"}"#.utf8)
            let safe = AuditRoutes.safeDetails(body)
            #expect(safe == ["username": "alice", "role": "viewer"])
            let row = try #require(try await store.auditRows(AuditQuery()).first)
            #expect(row.entry.details["password"] == "[redacted]")
            #expect(row.entry.details["access_token"] == "[redacted]")
            #expect(row.entry.details["note"] == "[redacted]")
            #expect(row.entry.details["name"] == "ci")
            let everything = "\(try await store.auditRows(AuditQuery()))"
            #expect(!everything.contains("hunter2") && !everything.contains("bvr_0123456789"))
        }
    }

    @Test func rateLimitRefusalsBecomeOneRowPerActorAndAddressPerMinute() async throws {
        try await withTrail { trail, store, _, clock in
            for _ in 0..<50 { await trail.noteRateLimited(actor: "anonymous", address: "10.0.0.1", policy: "\"api\";q=2;w=60", requestID: "r") }
            for _ in 0..<7 { await trail.noteRateLimited(actor: "grafana", address: "10.0.0.2", policy: "\"api\";q=2;w=60", requestID: "s") }
            await trail.flushEndedMinute()
            #expect(try await store.auditRows(AuditQuery()).isEmpty, "the minute has not ended")
            clock.advance(ms: 60_000)
            await trail.flushEndedMinute()
            let rows = try await store.auditRows(AuditQuery())
            #expect(rows.count == 2)
            let counts = Dictionary(uniqueKeysWithValues: rows.map { ($0.entry.actor, $0.entry.details["requests"]) })
            #expect(counts == ["anonymous": "50", "grafana": "7"])
            #expect(rows.allSatisfy { $0.entry.action == "rate.limited" && $0.entry.outcome == "denied" })
        }
    }

    @Test func everyRouteMapsToItsActionByMethodPathAndAnswer() {
        func action(_ method: HTTPMethod, _ path: String, _ status: Int = 200, _ code: ErrorCode? = nil) -> String? {
            AuditRoutes.classify(method: method, path: path, status: status, code: code)?.action.rawValue
        }
        #expect(action(.post, "/api/v1/bots", 201) == "bot.create")
        #expect(action(.patch, "/api/v1/bots/shop") == "bot.update")
        #expect(action(.delete, "/api/v1/bots/shop", 204) == "bot.delete")
        #expect(action(.post, "/api/v1/bots/shop/stop") == "bot.stop")
        #expect(action(.post, "/api/v1/bots/shop/start", 404, .botNotFound) == "bot.start")
        #expect(action(.post, "/api/v1/bots/shop/restart") == "bot.restart")
        #expect(action(.post, "/api/v1/bots/shop/validate") == nil)
        #expect(action(.post, "/api/v1/bulk/restart", 202) == "bulk.restart")
        #expect(action(.post, "/api/v1/bulk/messages", 202) == "bulk.messages")
        #expect(action(.post, "/api/v1/jobs/abc/cancel") == "job.cancel")
        #expect(action(.post, "/api/v1/auth/login") == "auth.login")
        #expect(action(.post, "/api/v1/auth/login", 401, "LOGIN_FAILED") == "auth.login_failed")
        #expect(action(.post, "/api/v1/auth/login", 429, "LOGIN_LOCKED") == "auth.login_failed")
        #expect(action(.post, "/api/v1/auth/refresh", 401, "REFRESH_REUSED") == "auth.refresh_reused")
        #expect(action(.post, "/api/v1/auth/refresh") == nil)
        #expect(action(.post, "/api/v1/tokens", 201) == "token.create")
        #expect(action(.delete, "/api/v1/tokens/grafana", 204) == "token.revoke")
        #expect(action(.post, "/api/v1/users", 201) == "user.create")
        #expect(action(.delete, "/api/v1/users/bob", 204) == "user.delete")
        #expect(action(.post, "/api/v1/users/bob/passwd") == "user.passwd")
        #expect(action(.get, "/api/v1/audit", 403, "FORBIDDEN") == "access.denied")
        #expect(action(.get, "/api/v1/events", 403, .topicForbidden) == "access.denied")
        #expect(action(.get, "/api/v1/bots", 429, .rateLimited) == "rate.limited")
        #expect(AuditRoutes.classify(method: .get, path: "/api/v1/bots", status: 429, code: .rateLimited)?.aggregated == true)
        #expect(action(.get, "/api/v1/bots") == nil)
        #expect(action(.get, "/api/v1/tokens") == nil)
    }

    /// Stands in for the auth layer: names the caller, then refuses admin routes with 403.
    struct Gate: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            guard request.headers["Authorization"] != nil else { return try await next(request, context) }
            context.principal = Principal(subject: "token:grafana", role: "viewer")
            if request.path.hasPrefix("/api/v1/users") { throw APIError(.forbidden, ErrorCode("FORBIDDEN"), "this needs the admin role") }
            return try await next(request, context)
        }
    }

    @Test func theMiddlewareRecordsRefusalsWithTheActorAndFailedLoginsWithoutThePassword() async throws {
        try await withTrail { trail, store, _, _ in
            var router = Router()
            router.use(ErrorMiddleware())
            router.use(AuditMiddleware(trail))
            router.use(Gate())
            router.post("/api/v1/auth/login") { _, _ in throw APIError(.unauthorized, ErrorCode("LOGIN_FAILED"), "wrong name or password") }
            router.post("/api/v1/users") { _, _ in .json(["ok": true] as [String: Bool]) }
            router.post("/api/v1/bots/{name}/stop") { _, _ in .json(["ok": true] as [String: Bool]) }
            router.get("/api/v1/bots") { _, _ in .json([String]()) }
            func send(_ method: HTTPMethod, _ target: String, body: String = "", token: Bool = false) async -> Int {
                var request = HTTPRequest(method: method, target: target, headers: token ? ["Authorization": "Bearer eyJx.y.z"] : [:],
                                          body: Array(body.utf8))
                request.remoteAddress = "192.0.2.7:40000"
                return await router.respond(to: request).status.code
            }
            #expect(await send(.post, "/api/v1/auth/login", body: #"{"username":"alice","password":"hunter2"}"#) == 401)
            #expect(await send(.post, "/api/v1/users", body: #"{"name":"mallory","role":"admin","password":"pw123456"}"#, token: true) == 403)
            #expect(await send(.post, "/api/v1/bots/shop/stop", token: true) == 200)
            #expect(await send(.get, "/api/v1/bots", token: true) == 200)
            let rows = try await store.auditRows(AuditQuery()).reversed().map(\.entry)
            #expect(rows.map(\.action) == ["auth.login_failed", "access.denied", "bot.stop"], "reads are not audited")
            #expect(rows[0].actor == "anonymous" && rows[0].target == "alice" && rows[0].details["code"] == "LOGIN_FAILED")
            #expect(rows[0].address == "192.0.2.7")
            #expect(rows[1].actor == "token:grafana" && rows[1].outcome == "denied" && rows[1].details["status"] == "403")
            #expect(rows[2].actor == "token:grafana" && rows[2].target == "shop" && rows[2].details["actor_role"] == "viewer")
            let everything = "\(rows)"
            #expect(!everything.contains("hunter2") && !everything.contains("pw123456") && !everything.contains("eyJx"))
        }
    }
}
