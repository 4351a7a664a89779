import Testing
import JSON
@testable import API
@testable import Auth

/// The verified-token cache through the real router: a token answered from the cache is still refused on
/// the very next request after each thing that ends it.
extension AuthAPITests {
    /// Logs `name` in and presents the access token twice, so the second presentation was a cache hit.
    func cachedToken(_ api: API, _ name: String) async throws -> String {
        let login = await api.send(.post, "/api/v1/auth/login", token: nil, body: ["username": .string(name), "password": .string(Self.password)])
        let access = try #require(login.json["access_token"]?.string, "\(login.json)")
        let hitsBefore = api.auth.state.withLock { $0.verified.hits }
        #expect(await api.send(.get, "/api/v1/bots", token: access).status == 200)
        #expect(await api.send(.get, "/api/v1/bots", token: access).status == 200)
        #expect(api.auth.state.withLock { $0.verified.hits } == hitsBefore + 1, "the second presentation was answered from the cache")
        return access
    }

    func expectRefused(_ api: API, _ token: String, _ what: String) async {
        let r = await api.send(.get, "/api/v1/bots", token: token)
        #expect(r.status == 401 && api.code(r) == "TOKEN_INVALID", "\(what): \(r.status) \(r.json)")
    }

    @Test func aCachedAccessTokenIsRefusedOnTheNextRequestAfterLogoutDisablePasswordChangeOrDeletion() async throws {
        try await withAPI { api in
            for name in ["ann", "ben", "cat", "dan"] { _ = try await api.auth.createAccount(name: name, role: "operator", password: Self.password) }
            // Logout revokes the jti.
            let ann = try await cachedToken(api, "ann")
            #expect(await api.send(.post, "/api/v1/auth/logout", token: ann).status == 204)
            await expectRefused(api, ann, "after logout")
            // A disabled account.
            let ben = try await cachedToken(api, "ben")
            _ = try await api.auth.updateAccount(name: "ben", enabled: false)
            await expectRefused(api, ben, "after disable")
            // A password change cuts off the tokens issued before it.
            let cat = try await cachedToken(api, "cat")
            _ = try await api.auth.updateAccount(name: "cat", password: "another long password")
            await expectRefused(api, cat, "after a password change")
            // A deleted account.
            let dan = try await cachedToken(api, "dan")
            try await api.auth.deleteAccount(name: "dan")
            await expectRefused(api, dan, "after deletion")
        }
    }

    @Test func aCachedAccessTokenLosesARoleTakenAwayAndItsKeyOnceRetired() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "eve", role: "operator", password: Self.password)
            _ = try await api.auth.createAccount(name: "fay", role: "viewer", password: Self.password)
            // A demotion: the role of a cached token is the lower of its claim and the account's role now.
            let key = try api.key()
            let eve = api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)],
                                payload: api.claims(sub: "eve", role: "operator", iat: api.clock.now + 5, nbf: api.clock.now), secret: key.secretBytes)
            for _ in 0..<2 {
                let allowed = await api.send(.post, "/api/v1/bots/x/stop", token: eve)
                #expect(allowed.status != 401 && allowed.status != 403, "an operator may stop (the bot is unknown): \(allowed.status)")
            }
            _ = try await api.auth.updateAccount(name: "eve", role: "viewer")
            let denied = await api.send(.post, "/api/v1/bots/x/stop", token: eve)
            #expect(denied.status == 403 && api.code(denied) == "FORBIDDEN")
            // A key rotation keeps a cached token (valid for two hours) working until the previous key retires, then not.
            let fay = api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)],
                                payload: api.claims(sub: "fay", role: "viewer", exp: api.clock.now + 7200), secret: key.secretBytes)
            #expect(await api.send(.get, "/api/v1/bots", token: fay).status == 200)
            _ = try api.auth.rotateKey()
            #expect(await api.send(.get, "/api/v1/bots", token: fay).status == 200)
            #expect(await api.send(.get, "/api/v1/bots", token: fay).status == 200)
            api.clock.advance(15 * 60 + 31)
            await expectRefused(api, fay, "signed by a retired key")
        }
    }

    @Test func forgedTokensNeverEnterTheCache() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "gus", role: "viewer", password: Self.password)
            let key = try api.key()
            for i in 0..<200 {
                let forged = api.forge(header: ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)], payload: api.claims(sub: "gus", jti: "f\(i)"),
                                       secret: Array(repeating: UInt8(i % 251), count: 32))
                await expectRefused(api, forged, "forged \(i)")
            }
            #expect(api.auth.state.withLock { $0.verified.count } == 0)
        }
    }
}
