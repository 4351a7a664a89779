import Testing
@testable import Crypto

@Suite struct PBKDF2Tests {
    // RFC 7914 §11: test vectors for PBKDF2 with HMAC-SHA-256.
    @Test func rfc7914FirstVectorMatches() {
        let out = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, byteCount: 64)
        #expect(hex(out) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test func rfc7914SecondVectorMatches() {
        let out = PBKDF2.sha256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, byteCount: 64)
        #expect(hex(out) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test func theRecommendedParametersAreTodaysOWASPGuidance() {
        #expect(PBKDF2.recommendedIterations == 600_000)
        #expect(PBKDF2.recommendedSaltByteCount == 16)
        #expect(PBKDF2.recommendedByteCount == 32)
        #expect(PBKDF2.sha256(password: [], salt: [1, 2, 3], iterations: 2).count == 32)
    }
}
