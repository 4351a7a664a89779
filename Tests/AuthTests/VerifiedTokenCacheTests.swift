import Testing
import Crypto
@testable import Auth

/// The cache of verified access tokens: a hit answers what a full verification would, forged tokens never
/// take room, the table stays bounded, and what can change between two requests (time, the key) is
/// checked on every hit.
@Suite struct VerifiedTokenCacheTests {
    let now = Fixture.now

    @Test func aTokenPresentedAgainIsAnsweredFromTheCacheWithTheSameClaims() throws {
        var cache = VerifiedTokenCache()
        let token = Fixture.mint()
        #expect(try cache.verify(token, ring: Fixture.ring, now: now) == Fixture.claims)
        #expect(try cache.verify(token, ring: Fixture.ring, now: now + 1) == Fixture.claims)
        #expect(cache.hits == 1 && cache.misses == 1 && cache.count == 1)
    }

    @Test func forgedAndGarbledTokensAreRefusedEveryTimeAndNeverCached() {
        var cache = VerifiedTokenCache(capacity: 4)
        let good = Fixture.mint()
        let parts = good.split(separator: ".").map(String.init)
        let forged = [
            Fixture.mint(secret: Array(repeating: 7, count: 32)),
            Fixture.mint(header: #"{"alg":"none","kid":"k1"}"#),
            parts[0] + "." + parts[1] + "." + String(parts[2].reversed()),
            parts[0] + "." + parts[1],
            "not a token",
        ]
        for _ in 0..<3 {
            for token in forged { #expect(throws: JWTError.self) { try cache.verify(token, ring: Fixture.ring, now: now) } }
        }
        #expect(cache.count == 0 && cache.hits == 0 && cache.misses == 15)
        #expect(throws: JWTError.oversized(bytes: 9000)) { try cache.verify(String(repeating: "a", count: 9000), ring: Fixture.ring, now: now) }
    }

    @Test func aFloodOfDistinctValidTokensKeepsTheCacheAtItsCapacity() throws {
        var cache = VerifiedTokenCache(capacity: 8)
        for i in 0..<100 {
            let token = Fixture.mint(payload: Fixture.payload(setting: "jti", to: .string("jti-\(i)")))
            _ = try cache.verify(token, ring: Fixture.ring, now: now)
        }
        #expect(cache.count == 8 && cache.capacity == 8)
    }

    @Test func aCachedTokenExpiresAtItsExpAndIsNotValidBeforeItsNbf() throws {
        var cache = VerifiedTokenCache()
        let token = Fixture.mint()
        let exp = Fixture.claims.expiresAt
        _ = try cache.verify(token, ring: Fixture.ring, now: now)
        #expect(try cache.verify(token, ring: Fixture.ring, now: exp + 29).subject == "alice")
        #expect(throws: JWTError.expired(at: exp)) { try cache.verify(token, ring: Fixture.ring, now: exp + 30) }
        // A clock stepped back before nbf (minus the leeway) refuses it too, as a first presentation would.
        _ = try cache.verify(token, ring: Fixture.ring, now: now)
        #expect(throws: JWTError.notYetValid(until: now)) { try cache.verify(token, ring: Fixture.ring, now: now - 31) }
    }

    @Test func aCachedTokenStopsVerifyingWhenItsKeyIsRetiredOrRemoved() throws {
        var ring = Fixture.ring
        var cache = VerifiedTokenCache()
        let token = Fixture.mint()
        _ = try cache.verify(token, ring: ring, now: now)
        ring.rotate(to: try SigningKey(id: "k2", secret: Array(repeating: 9, count: 32)), previousValidUntil: now + 60)
        #expect(try cache.verify(token, ring: ring, now: now + 59).subject == "alice", "the previous key verifies until its retirement")
        #expect(throws: JWTError.unknownKeyID("k1")) { try cache.verify(token, ring: ring, now: now + 60) }
        var removed = Fixture.ring
        _ = try cache.verify(token, ring: removed, now: now)
        removed.rotate(to: try SigningKey(id: "k2", secret: Array(repeating: 9, count: 32)))
        removed.retire("k1")
        #expect(throws: JWTError.unknownKeyID("k1")) { try cache.verify(token, ring: removed, now: now) }
    }

    @Test func aKeyIDThatNowNamesAnotherSecretVerifiesAfresh() throws {
        var cache = VerifiedTokenCache()
        let token = Fixture.mint()
        _ = try cache.verify(token, ring: Fixture.ring, now: now)
        // The ring was replaced by one whose k1 is another secret: the daemon clears the cache then, and a
        // cleared cache verifies against the new secret.
        let other = JWTKeyRing(issuer: "botvisor", current: try SigningKey(id: "k1", secret: Array(repeating: 3, count: 32)))
        cache.removeAll()
        #expect(throws: JWTError.badSignature) { try cache.verify(token, ring: other, now: now) }
        #expect(cache.count == 0)
    }
}
