import Testing
import Crypto
import JSON
import TestSupport
@testable import Auth

let pyjwt = PythonModule("jwt", pip: "pyjwt")

/// PyJWT, the reference library most scripts would use, against our signer and
/// verifier. The key travels on stdin, never in argv or the environment.
@Suite struct PyJWTInteropTests {
    static let mintScript = """
    import sys, json, jwt
    req = json.load(sys.stdin)
    print(jwt.encode(req["claims"], bytes.fromhex(req["key"]), algorithm="HS256", headers={"kid": req["kid"]}))
    """

    static let verifyScript = """
    import sys, json, jwt
    req = json.load(sys.stdin)
    header = jwt.get_unverified_header(req["token"])
    claims = jwt.decode(req["token"], bytes.fromhex(req["key"]), algorithms=["HS256"], issuer="botvisor",
                        options={"require": ["iss", "sub", "iat", "nbf", "exp", "jti"]}, leeway=30)
    print(json.dumps({"header": header, "claims": claims}, sort_keys=True))
    """

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    static func python(_ script: String, _ request: JSON) async throws -> ProcessResult {
        try await runProcess(Peer.python3.path!, ["-c", script], stdin: request.serialized(), timeout: .seconds(30))
    }

    static func unixNow() -> Int64 { Int64(time(nil)) }

    @Test(.enabled(pyjwt.missing) { await pyjwt.available() })
    func aTokenMintedByPyJWTVerifiesHere() async throws {
        let key = try SigningKey.generate(id: "py-1")
        let ring = JWTKeyRing(issuer: "botvisor", current: key)
        let now = Self.unixNow()
        let claims: JSON = ["iss": "botvisor", "sub": "ci", "role": "viewer", "iat": .number(Double(now)),
                            "nbf": .number(Double(now)), "exp": .number(Double(now + 600)), "jti": "py-jti"]
        let result = try await Self.python(Self.mintScript, ["claims": claims, "key": .string(Self.hexString(key.secretBytes)), "kid": "py-1"])
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingSuffixNewlines()
        let verified = try ring.verify(token, now: now)
        #expect(verified == JWTClaims(issuer: "botvisor", subject: "ci", role: .viewer, issuedAt: now, notBefore: now,
                                      expiresAt: now + 600, id: "py-jti"))
        // And PyJWT's token with another key is refused here.
        let other = try await Self.python(Self.mintScript, ["claims": claims, "key": .string(Self.hexString(SecureRandom.bytes(32))), "kid": "py-1"])
        #expect(throws: JWTError.badSignature) { try ring.verify(other.stdout.trimmingSuffixNewlines(), now: now) }
    }

    @Test(.enabled(pyjwt.missing) { await pyjwt.available() })
    func aTokenMintedHereVerifiesInPyJWT() async throws {
        let key = try SigningKey.generate(id: "bv-1")
        let ring = JWTKeyRing(issuer: "botvisor", current: key)
        let now = Self.unixNow()
        let claims = JWTClaims.fresh(issuer: "botvisor", subject: "alice", role: .admin, now: now, lifetime: 900)
        let token = ring.sign(claims)
        let result = try await Self.python(Self.verifyScript, ["token": .string(token), "key": .string(Self.hexString(key.secretBytes))])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try JSON.parse(result.stdout)
        #expect(answer["header"] == ["alg": "HS256", "typ": "JWT", "kid": "bv-1"])
        #expect(answer["claims"] == ["iss": "botvisor", "sub": "alice", "role": "admin", "iat": .number(Double(now)),
                                     "nbf": .number(Double(now)), "exp": .number(Double(now + 900)), "jti": .string(claims.id)])
        // PyJWT refuses it under a different key: the signature really is checked there.
        let wrong = try await Self.python(Self.verifyScript, ["token": .string(token), "key": .string(Self.hexString(SecureRandom.bytes(32)))])
        #expect(wrong.status != 0 && wrong.stderr.contains("InvalidSignatureError"))
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }
}

import Glibc
