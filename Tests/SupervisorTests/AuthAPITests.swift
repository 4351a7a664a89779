import Foundation
import HTTP
import JSON
import Logging
import Synchronization
import Testing
import TestSupport
@testable import API
@testable import Auth
@testable import Control
@testable import Crypto
@testable import Fleet
@testable import Operations
@testable import Store

/// Authentication and roles through the real router and middleware, on a real SQLite file, with a
/// clock the tests move (token expiry, leeway, key retirement).
@Suite struct AuthAPITests {
    /// Unix seconds the authenticator reads; tests move it.
    final class Clock: Sendable {
        let seconds = Mutex<Int64>(Int64(Date().timeIntervalSince1970))
        var now: Int64 { seconds.withLock { $0 } }
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    struct API {
        let router: Router
        let auth: Authenticator
        let store: SupervisorStore
        let clock: Clock
        let dir: String

        /// `method target` with `token` as bearer (none when nil).
        func send(_ method: HTTPMethod, _ target: String, token: String?, body: JSON? = nil,
                  address: String = "127.0.0.1:40000") async -> (status: Int, json: JSON, headers: HTTPHeaders) {
            var request = HTTPRequest(method: method, target: target)
            request.remoteAddress = address
            if let token { request.headers.set("Authorization", "Bearer \(token)") }
            if let body {
                request.body = body.bytes
                request.headers.set("Content-Type", "application/json")
            }
            let response = await router.respond(to: request)
            guard case .bytes(let bytes) = response.body, !bytes.isEmpty else { return (response.status.code, .null, response.headers) }
            return (response.status.code, (try? JSON.parse(bytes)) ?? .null, response.headers)
        }

        func code(_ r: (status: Int, json: JSON, headers: HTTPHeaders)) -> String? { r.json["error"]?["code"]?.string }

        /// The current signing key, read from the key file as an attacker who stole it (or PyJWT) would.
        func key() throws -> SigningKey {
            try JWTKeyRing(issuer: Authenticator.issuer, fileContents: String(contentsOfFile: "\(dir)/jwt.key", encoding: .utf8)).currentKey
        }

        /// A compact JWS with any header and payload, HMAC-SHA256 under `secret`.
        func forge(header: JSON, payload: JSON, secret: [UInt8]) -> String {
            let input = Base64URL.encode(header.bytes) + "." + Base64URL.encode(payload.bytes)
            return input + "." + Base64URL.encode(HMAC.sha256(key: secret, message: Array(input.utf8)))
        }

        func claims(sub: String = "alice", role: String = "admin", iat: Int64? = nil, nbf: Int64? = nil, exp: Int64? = nil,
                    jti: String = "forged-1") -> JSON {
            let now = clock.now
            return ["iss": .string(Authenticator.issuer), "sub": .string(sub), "role": .string(role), "iat": .number(Double(iat ?? now)),
                    "nbf": .number(Double(nbf ?? now)), "exp": .number(Double(exp ?? now + 600)), "jti": .string(jti)]
        }
    }

    func withAPI(settings: Authenticator.Settings = .init(), _ body: (API) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            let clock = Clock()
            let auth = try await TestAuth.authenticator(store: store, dir: dir, settings: settings, now: { clock.now })
            let router = APIRouter.make(fleet: fleet, store: store, authenticator: auth, apiBase: "http://127.0.0.1:1")
            try await body(API(router: router, auth: auth, store: store, clock: clock, dir: dir))
            await store.close()
        }
    }

    static let password = "correct horse battery staple"

    // MARK: Roles on every route

    @Test func everyRouteIsInTheRoleTableAndEachRoleIsAllowedOr403AndNoTokenIs401() async throws {
        try await withAPI { api in
            var tokens: [Role: String] = [:]
            for role in Role.allCases { tokens[role] = try await TestAuth.token(api.auth, role: role.rawValue, name: "matrix-\(role)") }
            let policy = AccessPolicy()
            for route in api.router.routeList {
                #expect(AccessPolicy.isListed(route.method, route.pattern), "\(route.method) \(route.pattern) has no rule in AccessPolicy.table")
                let target = route.pattern.replacing("{name}", with: "nosuch").replacing("{id}", with: "nosuch")
                    .replacing("{user_id}", with: "u1")
                let requirement = policy.requirement(route.method, route.pattern)
                // No token.
                let anonymous = await api.send(route.method, target, token: nil)
                switch requirement {
                case .anyone, .credentialInBody:
                    #expect(anonymous.status != 401 && anonymous.status != 403, "\(route.method) \(target) without a token: \(anonymous.status)")
                case .role:
                    #expect(anonymous.status == 401 && api.code(anonymous) == "AUTH_REQUIRED", "\(route.method) \(target): \(anonymous.status)")
                    #expect(anonymous.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
                }
                // Each role: allowed (never 401/403) at or above the requirement, 403 naming the role below it.
                for role in Role.allCases {
                    let response = await api.send(route.method, target, token: tokens[role])
                    if case .role(let required) = requirement, !role.allows(required) {
                        #expect(response.status == 403 && api.code(response) == "FORBIDDEN", "\(role) on \(route.method) \(target): \(response.status)")
                        #expect(response.json["error"]?["message"]?.string?.contains("needs the \(required.rawValue) role") == true)
                    } else {
                        #expect(response.status != 401 && response.status != 403, "\(role) on \(route.method) \(target): \(response.status) \(response.json)")
                    }
                }
            }
            // The three roles differ where the issue says: reads, driving bots, and configuration.
            #expect(policy.requirement(.get, "/api/v1/bots") == .role(.viewer))
            #expect(policy.requirement(.post, "/api/v1/bots/{name}/stop") == .role(.operator))
            #expect(policy.requirement(.post, "/api/v1/bulk/messages") == .role(.operator))
            #expect(policy.requirement(.post, "/api/v1/jobs/{id}/cancel") == .role(.operator))
            #expect(policy.requirement(.patch, "/api/v1/bots/{name}") == .role(.admin))
            #expect(policy.requirement(.post, "/api/v1/tokens") == .role(.admin))
            // A route nobody listed needs admin; an unknown path needs a token before it is a 404.
            #expect(policy.requirement(.get, "/api/v1/not-in-the-table") == .role(.admin))
            let unknown = await api.send(.get, "/api/v1/nothing-here", token: nil)
            #expect(unknown.status == 401)
            #expect(await api.send(.get, "/api/v1/nothing-here", token: tokens[.viewer]).status == 404)
            // HEAD needs what GET needs.
            #expect(await api.send(.head, "/api/v1/bots", token: nil).status == 401)
        }
    }

    @Test func metricsArePublicOnlyWhenConfigured() async throws {
        try await withAPI { api in
            #expect(await api.send(.get, "/metrics", token: nil).status == 401)
            #expect(await api.send(.get, "/api/v1/monitoring/health", token: nil).status != 401)
        }
        var settings = Authenticator.Settings()
        settings.publicMetrics = true
        try await withAPI(settings: settings) { api in
            #expect(await api.send(.get, "/metrics", token: nil).status == 200)
            #expect(await api.send(.get, "/api/v1/bots", token: nil).status == 401)
        }
    }

    // MARK: JWT attacks

    @Test func everyForgedOrStaleAccessTokenIsRefused() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "alice", role: "admin", password: Self.password)
            let key = try api.key()
            let now = api.clock.now
            let good = api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)], payload: api.claims(), secret: key.secretBytes)
            #expect(await api.send(.get, "/api/v1/auth/me", token: good).status == 200, "a correctly made token is accepted")

            func refused(_ token: String, _ code: String = "TOKEN_INVALID", _ what: String) async {
                let r = await api.send(.get, "/api/v1/bots", token: token)
                #expect(r.status == 401 && api.code(r) == code, "\(what): \(r.status) \(r.json)")
                #expect(r.headers["WWW-Authenticate"]?.contains("invalid_token") == true, "\(what)")
            }
            let claims = api.claims()
            let parts = good.split(separator: ".").map(String.init)
            // alg none (unsigned), and the same with its signature left on.
            let none = Base64URL.encode((["alg": "none", "typ": "JWT", "kid": .string(key.id)] as JSON).bytes) + "." + Base64URL.encode(claims.bytes) + "."
            await refused(none, "TOKEN_INVALID", "alg none")
            await refused(none + parts[2], "TOKEN_INVALID", "alg none with a signature")
            // RS256 and HS512 headers, signed with the HMAC key (algorithm confusion).
            for alg in ["RS256", "HS512", "ES256", "HS384"] {
                await refused(api.forge(header: ["alg": .string(alg), "typ": "JWT", "kid": .string(key.id)], payload: claims, secret: key.secretBytes),
                              "TOKEN_INVALID", "alg \(alg)")
            }
            await refused(api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": "nosuchkey"], payload: claims, secret: key.secretBytes),
                          "TOKEN_INVALID", "unknown kid")
            await refused(api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)], payload: claims, secret: SecureRandom.bytes(32)),
                          "TOKEN_INVALID", "another key")
            // One flipped signature character.
            var flipped = Array(parts[2])
            flipped[5] = flipped[5] == "A" ? "B" : "A"
            await refused(parts[0] + "." + parts[1] + "." + String(flipped), "TOKEN_INVALID", "bad signature")
            // A payload swapped under the old signature (role escalation).
            await refused(parts[0] + "." + Base64URL.encode(api.claims(role: "admin", jti: "other").bytes) + "." + parts[2], "TOKEN_INVALID", "swapped payload")
            let header: JSON = ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)]
            // Expired beyond the leeway; expiry within the leeway still passes.
            await refused(api.forge(header: header, payload: api.claims(iat: now - 1000, nbf: now - 1000, exp: now - 31), secret: key.secretBytes),
                          "TOKEN_EXPIRED", "expired")
            #expect(await api.send(.get, "/api/v1/bots", token: api.forge(header: header, payload: api.claims(iat: now - 1000, nbf: now - 1000, exp: now - 29),
                                                                           secret: key.secretBytes)).status == 200, "within the 30 s leeway")
            // Not yet valid beyond the leeway; within it passes.
            await refused(api.forge(header: header, payload: api.claims(nbf: now + 31, exp: now + 600), secret: key.secretBytes), "TOKEN_INVALID", "nbf ahead")
            #expect(await api.send(.get, "/api/v1/bots", token: api.forge(header: header, payload: api.claims(nbf: now + 29), secret: key.secretBytes)).status == 200)
            // Malformed base64 and JSON, two segments, oversized.
            await refused("eyJ!!!.eyJ.abc", "TOKEN_INVALID", "bad base64")
            await refused(Base64URL.encode(Array("{not json".utf8)) + "." + parts[1] + "." + parts[2], "TOKEN_INVALID", "bad JSON header")
            await refused(api.forge(header: header, payload: .string("a string, not claims"), secret: key.secretBytes), "TOKEN_INVALID", "payload not an object")
            await refused(parts[0] + "." + parts[1], "TOKEN_INVALID", "two segments")
            await refused(parts[0] + "." + String(repeating: "A", count: 9000) + "." + parts[2], "TOKEN_INVALID", "oversized")
            // Another issuer, an unknown role, and a token for an account that does not exist.
            var foreign = api.claims().object!
            foreign["iss"] = "someone-else"
            await refused(api.forge(header: header, payload: .object(foreign), secret: key.secretBytes), "TOKEN_INVALID", "foreign issuer")
            await refused(api.forge(header: header, payload: api.claims(role: "root"), secret: key.secretBytes), "TOKEN_INVALID", "unknown role")
            await refused(api.forge(header: header, payload: api.claims(sub: "mallory"), secret: key.secretBytes), "TOKEN_INVALID", "no such account")
            // A scheme other than Bearer.
            var basic = HTTPRequest(method: .get, target: "/api/v1/bots")
            basic.headers.set("Authorization", "Basic YWxpY2U6cGFzcw==")
            #expect(await api.router.respond(to: basic).status.code == 401)
        }
    }

    @Test func aLoggedOutTokenAndADisabledAccountsTokenAreRefusedOnTheNextRequest() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "alice", role: "operator", password: Self.password)
            let login = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "alice", "password": .string(Self.password)])
            #expect(login.status == 200)
            let access = try #require(login.json["access_token"]?.string)
            let me = await api.send(.get, "/api/v1/auth/me", token: access)
            #expect(me.json["subject"]?.string == "alice" && me.json["role"]?.string == "operator" && me.json["kind"]?.string == "access_token")
            // Logout revokes the jti (and it stays revoked across a restart: it is in the store).
            #expect(await api.send(.post, "/api/v1/auth/logout", token: access).status == 204)
            let revoked = await api.send(.get, "/api/v1/bots", token: access)
            #expect(revoked.status == 401 && api.code(revoked) == "TOKEN_INVALID")
            #expect(try await api.store.revokedJTIs(now: api.clock.now).count == 1)

            let second = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "alice", "password": .string(Self.password)])
            let access2 = try #require(second.json["access_token"]?.string)
            #expect(await api.send(.get, "/api/v1/bots", token: access2).status == 200)
            _ = try await api.auth.updateAccount(name: "alice", enabled: false)
            let disabled = await api.send(.get, "/api/v1/bots", token: access2)
            #expect(disabled.status == 401 && api.code(disabled) == "TOKEN_INVALID")
            // And a disabled account cannot log in (the same answer as a wrong password).
            let refusedLogin = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "alice", "password": .string(Self.password)])
            #expect(refusedLogin.status == 401 && api.code(refusedLogin) == "LOGIN_FAILED")
        }
    }

    @Test func aDemotionAppliesToTokensAlreadyIssued() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "bob", role: "admin", password: Self.password)
            // Another admin: the last enabled admin account cannot be demoted.
            _ = try await api.auth.createAccount(name: "root", role: "admin", password: Self.password)
            let key = try api.key()
            // A token issued before the change carries role admin; the account is now a viewer.
            let token = api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)], payload: api.claims(sub: "bob", iat: api.clock.now + 5,
                                                                                                                        nbf: api.clock.now),
                                  secret: key.secretBytes)
            _ = try await api.auth.updateAccount(name: "bob", role: "viewer")
            #expect(await api.send(.get, "/api/v1/bots", token: token).status == 200)
            let denied = await api.send(.post, "/api/v1/bots/x/stop", token: token)
            #expect(denied.status == 403 && api.code(denied) == "FORBIDDEN")
        }
    }

    // MARK: Refresh tokens, API tokens, keys

    @Test func aReusedRefreshTokenRevokesItsWholeFamily() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "carol", role: "viewer", password: Self.password)
            let first = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "carol", "password": .string(Self.password)])
            let refresh1 = try #require(first.json["refresh_token"]?.string)
            #expect(refresh1.hasPrefix("bvr_"))
            let second = await api.send(.post, "/api/v1/auth/refresh", token: nil, body: ["refresh_token": .string(refresh1)])
            #expect(second.status == 200)
            let refresh2 = try #require(second.json["refresh_token"]?.string)
            let access2 = try #require(second.json["access_token"]?.string)
            #expect(refresh2 != refresh1)
            // The thief (or the victim) presents the spent token: the family ends, with its access tokens.
            let reuse = await api.send(.post, "/api/v1/auth/refresh", token: nil, body: ["refresh_token": .string(refresh1)])
            #expect(reuse.status == 401 && api.code(reuse) == "REFRESH_REUSED")
            #expect(reuse.headers["WWW-Authenticate"] != nil)
            let afterReuse = await api.send(.post, "/api/v1/auth/refresh", token: nil, body: ["refresh_token": .string(refresh2)])
            #expect(afterReuse.status == 401, "the newest token of the family is revoked too")
            #expect(await api.send(.get, "/api/v1/bots", token: access2).status == 401)
            // Garbage and unknown refresh tokens.
            let garbage = await api.send(.post, "/api/v1/auth/refresh", token: nil, body: ["refresh_token": "bvr_nope"])
            #expect(garbage.status == 401 && api.code(garbage) == "TOKEN_INVALID")
            // A new login (in a later second than the cut-off) works again.
            api.clock.advance(2)
            #expect(await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "carol", "password": .string(Self.password)]).status == 200)
        }
    }

    @Test func aRevokedAPITokenFailsOnTheNextRequestAndAnExpiredOneToo() async throws {
        try await withAPI { api in
            let created = await api.send(.post, "/api/v1/tokens", token: try await TestAuth.token(api.auth),
                                         body: ["name": "grafana", "role": "viewer", "ttl_seconds": 3600])
            #expect(created.status == 201)
            let token = try #require(created.json["token"]?.string)
            let id = try #require(created.json["id"]?.string)
            #expect(token.hasPrefix("bva_"))
            #expect(await api.send(.get, "/api/v1/bots", token: token).status == 200)
            // The list never shows the token.
            let admin = try await TestAuth.token(api.auth, name: "admin2")
            let list = await api.send(.get, "/api/v1/tokens", token: admin)
            #expect(list.status == 200 && !"\(list.json)".contains(token) && list.json["tokens"]?.array?.count == 3)
            #expect(await api.send(.post, "/api/v1/tokens/\(id)/revoke", token: admin).status == 200)
            let refused = await api.send(.get, "/api/v1/bots", token: token)
            #expect(refused.status == 401 && api.code(refused) == "TOKEN_INVALID")
            // Expiry.
            let short = await api.send(.post, "/api/v1/tokens", token: admin, body: ["name": "short", "role": "viewer", "ttl_seconds": 60])
            let shortToken = try #require(short.json["token"]?.string)
            #expect(await api.send(.get, "/api/v1/bots", token: shortToken).status == 200)
            api.clock.advance(61)
            let expired = await api.send(.get, "/api/v1/bots", token: shortToken)
            #expect(expired.status == 401 && api.code(expired) == "TOKEN_EXPIRED")
        }
    }

    @Test func aRotatedKeyKeepsVerifyingItsTokensUntilTheyExpire() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "dave", role: "viewer", password: Self.password)
            let login = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "dave", "password": .string(Self.password)])
            let old = try #require(login.json["access_token"]?.string)
            let oldKid = try api.key().id
            let newKid = try api.auth.rotateKey()
            #expect(newKid != oldKid && api.auth.keyIDs == [newKid, oldKid])
            // The file holds both, still mode 0600.
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(api.dir)/jwt.key")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(try api.key().id == newKid)
            #expect(await api.send(.get, "/api/v1/bots", token: old).status == 200, "the previous key still verifies")
            let fresh = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "dave", "password": .string(Self.password)])
            let freshToken = try #require(fresh.json["access_token"]?.string)
            let header = try #require(Base64URL.decode(freshToken.split(separator: ".")[0]))
            #expect(try JSON.parse(header)["kid"]?.string == newKid)
            // Past the old tokens' lifetime plus leeway the previous key is gone.
            api.clock.advance(15 * 60 + 31)
            let gone = await api.send(.get, "/api/v1/bots", token: old)
            #expect(gone.status == 401)
            // A restart reads the ring back from the file.
            let reloaded = try await TestAuth.authenticator(store: api.store, dir: api.dir, now: { api.clock.now })
            #expect(reloaded.keyIDs.first == newKid)
        }
    }

    @Test func loginFailuresLockTheAccountOutWith429AndRetryAfter() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "erin", role: "viewer", password: Self.password)
            for _ in 0..<LoginThrottle.Policy.account.freeFailures + 1 {
                let r = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "erin", "password": "wrong password!"])
                #expect(r.status == 401 && api.code(r) == "LOGIN_FAILED")
            }
            let locked = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "erin", "password": .string(Self.password)])
            #expect(locked.status == 429 && api.code(locked) == "LOGIN_LOCKED")
            #expect(Int(locked.headers["Retry-After"] ?? "") ?? 0 >= 1)
            // A wrong name is the same answer as a wrong password.
            let unknown = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": "nobody", "password": "whatever"],
                                         address: "10.0.0.9:1")
            #expect(unknown.status == 401 && api.code(unknown) == "LOGIN_FAILED")
            #expect(unknown.json["error"]?["message"]?.string == "wrong account name or password")
        }
    }

    @Test func accountsAreManagedByAdminsWithStrictBodiesAndNeverShowAPassword() async throws {
        try await withAPI { api in
            let admin = try await TestAuth.token(api.auth)
            let created = await api.send(.post, "/api/v1/users", token: admin, body: ["name": "frank", "role": "operator", "password": .string(Self.password)])
            #expect(created.status == 201 && created.headers["Location"] == "/api/v1/users/frank")
            #expect(!"\(created.json)".contains(Self.password) && !"\(created.json)".contains("pbkdf2"))
            #expect(await api.send(.post, "/api/v1/users", token: admin, body: ["name": "frank", "role": "viewer", "password": .string(Self.password)]).status == 409)
            let bad = await api.send(.post, "/api/v1/users", token: admin, body: ["name": "Frank!", "role": "root", "password": "short", "extra": 1])
            #expect(bad.status == 422)
            #expect(Set((bad.json["error"]?["fields"]?.array ?? []).compactMap { $0["field"]?.string }) == ["extra"])
            let bad2 = await api.send(.post, "/api/v1/users", token: admin, body: ["name": "Frank!", "role": "root", "password": "short"])
            #expect(Set((bad2.json["error"]?["fields"]?.array ?? []).compactMap { $0["field"]?.string }) == ["name", "role", "password"])
            let listed = await api.send(.get, "/api/v1/users", token: admin)
            #expect(listed.json["users"]?.array?.map { $0["name"]?.string } == ["frank"])
            #expect(!"\(listed.json)".contains("pbkdf2"))
            let patched = await api.send(.patch, "/api/v1/users/frank", token: admin, body: ["role": "viewer", "enabled": false])
            #expect(patched.status == 200 && patched.json["role"]?.string == "viewer" && patched.json["enabled"]?.bool == false)
            #expect(await api.send(.patch, "/api/v1/users/ghost", token: admin, body: ["enabled": true]).status == 404)
            #expect(await api.send(.delete, "/api/v1/users/frank", token: admin).status == 204)
            #expect(await api.send(.delete, "/api/v1/users/frank", token: admin).status == 404)
            // The stored hash is PBKDF2 at today's parameters.
            _ = try await api.auth.createAccount(name: "gina", role: "viewer", password: Self.password)
            let stored = try #require(try await api.store.account(named: "gina")).passwordHash
            #expect(stored.hasPrefix("pbkdf2-sha256$600000$"))
        }
    }
}
