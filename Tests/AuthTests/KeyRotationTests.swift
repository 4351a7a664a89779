import Testing
import Crypto
import JSON
@testable import Auth

@Suite struct KeyRotationTests {
    @Test func tokensFromThePreviousKeyVerifyAfterRotationAndNewOnesUseTheNewKey() throws {
        var ring = JWTKeyRing(issuer: "botvisor", current: try SigningKey.generate(id: "2026-01"))
        let old = ring.sign(Fixture.claims)
        ring.rotate(to: try SigningKey.generate(id: "2026-02"))
        #expect(ring.currentKeyID == "2026-02")
        #expect(ring.keyIDs == ["2026-02", "2026-01"])
        #expect(try ring.verify(old, now: Fixture.now).subject == "alice")
        let new = ring.sign(Fixture.claims)
        #expect(try JSON.parse(Base64URL.decode(new.split(separator: ".")[0])!)["kid"] == "2026-02")
        #expect(try ring.verify(new, now: Fixture.now).subject == "alice")
    }

    @Test func aRetiredKeyNoLongerVerifiesAndTheCurrentKeyCannotBeRetired() throws {
        var ring = JWTKeyRing(issuer: "botvisor", current: try SigningKey.generate(id: "a"))
        let old = ring.sign(Fixture.claims)
        ring.rotate(to: try SigningKey.generate(id: "b"))
        let retiredCurrent = ring.retire("b")
        let retiredPrevious = ring.retire("a")
        #expect(!retiredCurrent && retiredPrevious)
        #expect(throws: JWTError.unknownKeyID("a")) { try ring.verify(old, now: Fixture.now) }
    }

    @Test func aRingLoadedWithPreviousKeysVerifiesTheirTokens() throws {
        let a = try SigningKey.generate(id: "a")
        let b = try SigningKey.generate(id: "b")
        let token = JWTKeyRing(issuer: "botvisor", current: a).sign(Fixture.claims)
        let ring = JWTKeyRing(issuer: "botvisor", current: b, previous: [a])
        #expect(try ring.verify(token, now: Fixture.now).id == "jti-1")
        // Same kid, different secret: the signature decides.
        let impostor = JWTKeyRing(issuer: "botvisor", current: try SigningKey.generate(id: "a")).sign(Fixture.claims)
        #expect(throws: JWTError.badSignature) { try ring.verify(impostor, now: Fixture.now) }
    }

    @Test func freshClaimsGetAUniqueIDAndTheirLifetime() {
        let a = JWTClaims.fresh(issuer: "botvisor", subject: "alice", role: .viewer, now: 100, lifetime: 900)
        let b = JWTClaims.fresh(issuer: "botvisor", subject: "alice", role: .viewer, now: 100, lifetime: 900)
        #expect(a.id != b.id && a.id.count == 22)
        #expect(a.expiresAt == 1000 && a.notBefore == 100)
    }
}
