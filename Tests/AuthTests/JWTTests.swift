import Testing
import Crypto
import JSON
@testable import Auth

/// A fixed key and clock for the JWT tests.
enum Fixture {
    static let secret: [UInt8] = Array(0..<32)
    static let key = try! SigningKey(id: "k1", secret: secret)
    static let ring = JWTKeyRing(issuer: "botvisor", current: key)
    static let now: Int64 = 1_800_000_000
    static let claims = JWTClaims(issuer: "botvisor", subject: "alice", role: .operator, issuedAt: now,
                                  expiresAt: now + 900, id: "jti-1")
    static let validPayload = #"{"iss":"botvisor","sub":"alice","role":"operator","iat":1800000000,"nbf":1800000000,"exp":1800000900,"jti":"jti-1"}"#

    /// A token with exactly this header and payload text, HS256-signed with `secret`.
    static func mint(header: String = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#, payload: String = validPayload,
                     secret: [UInt8] = secret) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(HMAC.sha256(key: secret, message: Array(input.utf8)))
    }

    static func payload(removing name: String) -> String {
        var o = try! JSON.parse(validPayload).object!
        o.removeValue(forKey: name)
        return JSON.object(o).serialized()
    }

    static func payload(setting name: String, to value: JSON) -> String {
        var o = try! JSON.parse(validPayload).object!
        o[name] = value
        return JSON.object(o).serialized()
    }
}

@Suite struct JWTTests {
    let ring = Fixture.ring
    let now = Fixture.now

    @Test func aSignedTokenVerifiesToTheSameClaims() throws {
        let token = ring.sign(Fixture.claims)
        #expect(try ring.verify(token, now: now + 10) == Fixture.claims)
        let header = try JSON.parse(Base64URL.decode(token.split(separator: ".")[0])!)
        #expect(header == ["alg": "HS256", "typ": "JWT", "kid": "k1"])
    }

    @Test func aHandMadeTokenWithTheExactClaimsVerifies() throws {
        #expect(try ring.verify(Fixture.mint(), now: now) == Fixture.claims)
    }

    @Test(arguments: ["none", "HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "hs256"])
    func everyAlgorithmButHS256IsRefused(alg: String) {
        let token = Fixture.mint(header: #"{"alg":"\#(alg)","typ":"JWT","kid":"k1"}"#)
        #expect(throws: JWTError.unsupportedAlgorithm(alg)) { try ring.verify(token, now: now) }
    }

    @Test func anUnsignedAlgNoneTokenWithAnEmptySignatureIsRefused() {
        let input = Base64URL.encode(Array(#"{"alg":"none","kid":"k1"}"#.utf8)) + "." + Base64URL.encode(Array(Fixture.validPayload.utf8))
        #expect(throws: JWTError.unsupportedAlgorithm("none")) { try ring.verify(input + ".", now: now) }
    }

    @Test func aMissingOrNonStringAlgIsRefused() {
        #expect(throws: JWTError.unsupportedAlgorithm(nil)) {
            try ring.verify(Fixture.mint(header: #"{"typ":"JWT","kid":"k1"}"#), now: now)
        }
        #expect(throws: JWTError.unsupportedAlgorithm("[\"HS256\"]")) {
            try ring.verify(Fixture.mint(header: #"{"alg":["HS256"],"kid":"k1"}"#), now: now)
        }
    }

    @Test func criticalExtensionsAndForeignTypesAreRefused() {
        #expect(throws: JWTError.unsupportedHeader("crit")) {
            try ring.verify(Fixture.mint(header: #"{"alg":"HS256","kid":"k1","crit":["exp"]}"#), now: now)
        }
        #expect(throws: JWTError.unsupportedHeader("typ")) {
            try ring.verify(Fixture.mint(header: #"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#), now: now)
        }
    }

    @Test func anUnknownOrMissingKeyIDIsRefused() {
        #expect(throws: JWTError.unknownKeyID("k9")) {
            try ring.verify(Fixture.mint(header: #"{"alg":"HS256","kid":"k9"}"#), now: now)
        }
        #expect(throws: JWTError.missingKeyID) {
            try ring.verify(Fixture.mint(header: #"{"alg":"HS256"}"#), now: now)
        }
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() {
        let forged = Fixture.mint(secret: [UInt8](repeating: 7, count: 32))
        #expect(throws: JWTError.badSignature) { try ring.verify(forged, now: now) }
    }

    @Test func anEditedPayloadIsRefused() {
        let token = ring.sign(Fixture.claims)
        let parts = token.split(separator: ".")
        let admin = Base64URL.encode(Array(Fixture.payload(setting: "role", to: "admin").utf8))
        #expect(throws: JWTError.badSignature) { try ring.verify("\(parts[0]).\(admin).\(parts[2])", now: now) }
    }

    @Test func aTruncatedOrEmptySignatureIsRefused() {
        let token = ring.sign(Fixture.claims)
        #expect(throws: JWTError.badSignature) { try ring.verify(String(token.dropLast(3)), now: now) }
        let unsigned = String(token[..<token.lastIndex(of: ".")!]) + "."
        #expect(throws: JWTError.badSignature) { try ring.verify(unsigned, now: now) }
    }

    @Test func aTokenPastItsExpiryIsRefusedAfterTheLeeway() throws {
        let exp = Fixture.claims.expiresAt
        #expect(JWTKeyRing.leeway == 30)
        #expect(try ring.verify(Fixture.mint(), now: exp + 29).subject == "alice")
        #expect(throws: JWTError.expired(at: exp)) { try ring.verify(Fixture.mint(), now: exp + 30) }
        #expect(throws: JWTError.expired(at: exp)) { try ring.verify(Fixture.mint(), now: exp + 86_400) }
    }

    @Test func aTokenBeforeItsNotBeforeIsRefusedBeyondTheLeeway() throws {
        let nbf = now + 600
        let token = Fixture.mint(payload: Fixture.payload(setting: "nbf", to: .number(Double(nbf))))
        #expect(throws: JWTError.notYetValid(until: nbf)) { try ring.verify(token, now: nbf - 31) }
        #expect(try ring.verify(token, now: nbf - 30).subject == "alice")
    }

    @Test func aTokenIssuedInTheFutureIsRefused() {
        let iat = now + 300
        let token = Fixture.mint(payload: Fixture.payload(setting: "iat", to: .number(Double(iat))))
        #expect(throws: JWTError.notYetValid(until: iat)) { try ring.verify(token, now: now) }
    }

    @Test(arguments: ["iss", "sub", "role", "iat", "nbf", "exp", "jti"])
    func aMissingClaimIsRefused(claim: String) {
        let token = Fixture.mint(payload: Fixture.payload(removing: claim))
        #expect(throws: JWTError.missingClaim(claim)) { try ring.verify(token, now: now) }
    }

    @Test(arguments: [("role", JSON.string("root")), ("role", 1), ("sub", 42), ("sub", ""), ("exp", "soon"),
                      ("exp", -5), ("iat", .null), ("jti", .array([]))])
    func aClaimOfTheWrongTypeOrValueIsRefused(claim: String, value: JSON) {
        let token = Fixture.mint(payload: Fixture.payload(setting: claim, to: value))
        #expect(throws: JWTError.invalidClaim(claim)) { try ring.verify(token, now: now) }
    }

    @Test func anotherIssuersTokenIsRefused() {
        let token = Fixture.mint(payload: Fixture.payload(setting: "iss", to: "someone-else"))
        #expect(throws: JWTError.wrongIssuer("someone-else")) { try ring.verify(token, now: now) }
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", ".b.c", "a..c"])
    func textThatIsNotThreeSegmentsIsMalformed(token: String) {
        #expect(throws: JWTError.malformed) { try ring.verify(token, now: now) }
    }

    @Test func nonCanonicalBase64IsRefusedInEverySegment() {
        let token = Fixture.mint()
        let parts = token.split(separator: ".").map(String.init)
        // Padding, a character outside the alphabet, standard-base64 characters.
        #expect(throws: JWTError.invalidBase64(.header)) { try ring.verify("\(parts[0])=.\(parts[1]).\(parts[2])", now: now) }
        #expect(throws: JWTError.invalidBase64(.header)) { try ring.verify("*\(parts[0].dropFirst()).\(parts[1]).\(parts[2])", now: now) }
        #expect(throws: JWTError.invalidBase64(.signature)) { try ring.verify("\(parts[0]).\(parts[1]).\(parts[2])=", now: now) }
        #expect(throws: JWTError.invalidBase64(.signature)) { try ring.verify("\(parts[0]).\(parts[1]).+\(parts[2].dropFirst())", now: now) }
        // The 32-byte signature is 43 characters whose last one carries 2 unused bits: set one.
        let last = parts[2].last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let tweaked = alphabet[alphabet.firstIndex(of: last)! ^ 1]
        #expect(throws: JWTError.invalidBase64(.signature)) {
            try ring.verify("\(parts[0]).\(parts[1]).\(parts[2].dropLast())\(tweaked)", now: now)
        }
    }

    @Test func aPayloadThatIsNotBase64OrJSONIsRefusedEvenWhenSigned() {
        #expect(throws: JWTError.invalidJSON(.payload)) { try ring.verify(Fixture.mint(payload: "{\"sub\":"), now: now) }
        #expect(throws: JWTError.invalidJSON(.payload)) { try ring.verify(Fixture.mint(payload: "[1,2]"), now: now) }
        // A signed payload segment with a character outside the alphabet.
        let header = Base64URL.encode(Array(#"{"alg":"HS256","kid":"k1"}"#.utf8))
        let input = header + ".e30*"
        let token = input + "." + Base64URL.encode(HMAC.sha256(key: Fixture.secret, message: Array(input.utf8)))
        #expect(throws: JWTError.invalidBase64(.payload)) { try ring.verify(token, now: now) }
    }

    @Test func aHeaderThatIsNotJSONIsRefused() {
        #expect(throws: JWTError.invalidJSON(.header)) { try ring.verify(Fixture.mint(header: "alg=HS256"), now: now) }
        #expect(throws: JWTError.invalidJSON(.header)) { try ring.verify(Fixture.mint(header: "\"HS256\""), now: now) }
    }

    @Test func anOversizedTokenIsRefusedBeforeParsing() {
        #expect(JWTKeyRing.maximumTokenBytes == 8192)
        let padding = String(repeating: "x", count: 8192)
        let big = Fixture.mint(payload: Fixture.payload(setting: "pad", to: .string(padding)))
        #expect(throws: JWTError.oversized(bytes: big.utf8.count)) { try ring.verify(big, now: now) }
        let junk = String(repeating: "a", count: 100_000)
        #expect(throws: JWTError.oversized(bytes: 100_000)) { try ring.verify(junk, now: now) }
    }

    @Test func shortKeysAndOddKeyIDsAreRefused() {
        #expect(throws: SigningKeyError.tooShort(16)) { try SigningKey(id: "k", secret: [UInt8](repeating: 1, count: 16)) }
        #expect(throws: SigningKeyError.invalidID) { try SigningKey(id: "", secret: Fixture.secret) }
        #expect(throws: SigningKeyError.invalidID) { try SigningKey(id: "a\"b", secret: Fixture.secret) }
        #expect(!"\(Fixture.key)".contains("0, 1, 2"))
    }
}
