import Foundation
import HTTP
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Fleet
@testable import Store

/// Audit rows on the live feed: a real HTTP server with the audit trail wired as the daemon wires it,
/// curl following the `audit` topic as an admin, and a viewer refused it.
@Suite(.serialized, .heavy) struct AuditFeedTests {
    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func anAdminFollowingTheAuditTopicSeesEachRowAsTheAuditLogListsItAndAViewerIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            let feed = EventFeed(logger: Logger(label: "events"))
            let trail = AuditTrail(store: store, logger: Logger(label: "audit"), published: AuditAPI.publishing(to: fleet.events))
            let auth = try await TestAuth.authenticator(store: store, dir: dir)
            let admin = try await TestAuth.token(auth)
            let viewer = try await TestAuth.token(auth, role: "viewer", name: "viewer")
            let router = APIRouter.make(fleet: fleet, store: store, authenticator: auth, audit: trail, feed: feed)
            let server = try HTTPServer(port: 0, responder: router)
            let base = "http://127.0.0.1:\(server.port)"
            func send(_ method: HTTPMethod, _ target: String, _ token: String) async -> (Int, JSON) {
                var request = HTTPRequest(method: method, target: target)
                request.headers.set("Authorization", "Bearer \(token)")
                let response = await router.respond(to: request)
                guard case .bytes(let bytes) = response.body, !bytes.isEmpty else { return (response.status.code, .null) }
                return (response.status.code, (try? JSON.parse(bytes)) ?? .null)
            }
            func follow(_ token: String, _ target: String) async throws -> ProcessResult {
                // The token reaches curl as a config file on stdin (`-K -`), never argv.
                try await runProcess(Peer.curl.path!, ["-sN", "-K", "-", "-H", "Accept: text/event-stream", "-w", "\nstatus=%{http_code}\n",
                                                       base + target],
                                     stdin: "header = \"Authorization: Bearer \(token)\"\n", timeout: .seconds(60))
            }
            func scenario() async throws {
                // A viewer may not follow audit, over the real socket too.
                let refused = try await follow(viewer, "/api/v1/events?topics=audit")
                #expect(refused.stdout.contains("status=403") && refused.stdout.contains("TOPIC_FORBIDDEN"), "\(refused.stdout)")
                // The refusal is an audit row of its own (before the admin follows, so not on the feed below).
                try await eventually(timeout: .seconds(30), "the refusal recorded") {
                    (try? await store.auditRows(AuditQuery()).first?.entry.action) == "access.denied"
                }

                async let adminFeed = follow(admin, "/api/v1/events?topics=audit")
                try await eventually(timeout: .seconds(30), "curl connected") { feed.clientQueues.count == 1 && feed.clientQueues[0].queued == 0 }
                // An admin stops a bot (there is none: a failed bot.stop) and a viewer is refused a change.
                #expect(await send(.post, "/api/v1/bots/shop/stop", admin).0 == 404)
                #expect(await send(.post, "/api/v1/bots/shop/start", viewer).0 == 403)
                try await eventually(timeout: .seconds(30), "both rows sent") {
                    (try? await store.auditRows(AuditQuery()).count) == 3 && feed.clientQueues.first?.queued == 0
                }
                feed.shutdown()
                let followed = try await adminFeed
                #expect(followed.status == 0 && followed.stdout.contains("status=200"), "\(followed.stderr)")
                let events = followed.stdout.split(separator: "\n").filter { $0.hasPrefix("data: ") }
                    .compactMap { try? JSON.parse(String($0.dropFirst(6))) }.filter { $0["topic"]?.string == "audit" }
                #expect(events.map { $0["type"]?.string ?? "" } == ["audit.recorded", "audit.recorded"], "\(followed.stdout)")
                #expect(events.compactMap { $0["data"]?["action"]?.string } == ["bot.stop", "access.denied"])
                // Each event's data is the row as GET /api/v1/audit lists it, field for field.
                let (status, page) = await send(.get, "/api/v1/audit", admin)
                #expect(status == 200)
                let listed = Array((page["events"]?.array ?? []).reversed().suffix(2))
                #expect(events.compactMap { $0["data"] } == listed, "\(events) vs \(listed)")
                #expect(events.first?["data"]?["target"]?.string == "shop" && events.first?["data"]?["outcome"]?.string == "failure")
                #expect(events.last?["data"]?["actor"]?.string == "token:viewer")
                // No credential in what the feed carried.
                #expect(!followed.stdout.contains(admin) && !followed.stdout.contains(viewer) && !followed.stdout.contains("bva_"))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await fleet.run() }
                group.addTask { await feed.run(following: fleet.events) }
                group.addTask { await server.run() }
                var failure: (any Error)?
                do {
                    try await eventually(timeout: .seconds(30), "the feed follows the fleet") { fleet.events.subscriberCount >= 1 }
                    try await scenario()
                } catch { failure = error }
                feed.shutdown()
                await server.shutdown()
                await fleet.shutdown()
                group.cancelAll()
                if let failure { throw failure }
            }
            await store.close()
        }
    }
}
