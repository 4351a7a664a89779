import Testing
@testable import Crypto

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}


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

@Suite struct HMACTests {
    // RFC 4231 §4.2, §4.3 and §4.7 (test cases 1, 2 and 6).
    @Test func rfc4231TestCase1Matches() {
        #expect(hex(HMACSHA256.authenticate(Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231TestCase2WithAShortKeyMatches() {
        #expect(hex(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231TestCase6WithAKeyLongerThanABlockMatches() {
        let message = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        #expect(hex(HMACSHA256.authenticate(message, key: [UInt8](repeating: 0xaa, count: 131)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func anEmptyKeyAndMessageStillAuthenticate() {
        #expect(hex(HMACSHA256.authenticate([UInt8](), key: [UInt8]()))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func slicesHashLikeArrays() {
        let bytes = Array("xxabcxx".utf8)
        #expect(SHA256.hash(bytes[2..<5]) == SHA256.hash(Array("abc".utf8)))
    }

    // FIPS 180-2 appendix B.1, and the empty message.
    @Test func sha256KnownAnswersMatch() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

@Suite struct ConstantTimeAndRandomTests {
    @Test func equalBytesCompareEqualAndAnyDifferenceDoesNot() {
        let a: [UInt8] = Array(0..<32)
        #expect(ConstantTime.equals(a, a))
        for i in [0, 15, 31] {
            var b = a
            b[i] ^= 1
            #expect(!ConstantTime.equals(a, b))
        }
        #expect(!ConstantTime.equals(a, a.dropLast()))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func randomBytesHaveTheAskedLengthAndDiffer() {
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(SecureRandom.bytes(0).isEmpty)
    }
}
