import Testing
import Foundation
import Synchronization
import HTTP
import IOCore
import Logging
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store

/// The one way test suites authenticate, now that every route but health needs a token: an admin
/// API token made through the same functions the control socket uses, sent on every request.
enum TestAuth {
    /// An authenticator over `store`, its key file in `dir` (the store's state directory).
    static func authenticator(store: SupervisorStore, dir: String, settings: Authenticator.Settings = .init(),
                              now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) async throws -> Authenticator {
        try await Authenticator.load(store: store, stateDirectory: dir, settings: settings, logger: Logger(label: "test-auth"), now: now)
    }

    /// A fresh API token with `role` (admin unless asked otherwise).
    static func token(_ auth: Authenticator, role: String = "admin", name: String = "tests") async throws -> String {
        try #require(try await auth.createToken(name: name, role: role, lifetimeSeconds: 86_400, createdBy: "tests").token)
    }

    /// The API router over `fleet` and `store` as an admin client sees it.
    static func router(fleet: Fleet, store: SupervisorStore, dir: String, jobs: JobRunner? = nil, apiBase: String = "https://discord.com/api/v10",
                       recorder: MetricsRecorder? = nil) async throws -> SignedInRouter {
        let auth = try await authenticator(store: store, dir: dir)
        let router = APIRouter.make(fleet: fleet, store: store, authenticator: auth, jobs: jobs, apiBase: apiBase, recorder: recorder)
        return SignedInRouter(router: router, token: try await token(auth), authenticator: auth)
    }
}

/// A router whose every request carries `Authorization: Bearer <token>` (an admin's API token unless
/// made otherwise): the in-process route tests talk to it as an authenticated client would.
struct SignedInRouter: HTTPResponder {
    let router: Router
    let token: String
    let authenticator: Authenticator

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        var signed = request
        if signed.headers["Authorization"] == nil { signed.headers.set("Authorization", "Bearer \(token)") }
        return await router.respond(to: signed)
    }

    var routeList: [(method: HTTPMethod, pattern: String)] { router.routeList }
}

extension DaemonHarness {
    /// An admin API token from the running daemon, made over its control socket (the local root of
    /// trust), as an operator would with `botvisorctl token create --role admin`.
    func adminToken() async throws -> String {
        if let token = tokens.admin.withLock({ $0 }) { return token }
        let token = try await newToken(role: "admin")
        tokens.admin.withLock { $0 = token }
        return token
    }

    /// A new API token with `role`, over the control socket.
    func newToken(role: String) async throws -> String {
        let reply = try await ctl(ControlRequest(command: .tokenCreate, name: "e2e-\(role)", role: role, ttlSeconds: 86_400))
        return try #require(reply.tokens?.first?.token, "\(String(describing: reply.error))")
    }

    /// `Authorization: Bearer <admin token>`, for HTTP clients of the real daemon.
    func adminHeaders() async throws -> HTTPHeaders {
        ["Authorization": "Bearer \(try await adminToken())"]
    }
}

/// The admin token a harness made, kept for its later requests (one control round trip per test, not per request).
final class HarnessTokens: Sendable {
    let admin = Mutex<String?>(nil)
}
