import Testing
import Crypto
import IOCore
@testable import Auth

@Suite struct PasswordHashTests {
    @Test func theRightPasswordVerifiesAndAWrongOneDoesNot() throws {
        let stored = PasswordHash(password: "correct horse", iterations: 1_000)
        #expect(stored.verify("correct horse"))
        #expect(!stored.verify("correct horsf"))
        #expect(!stored.verify(""))
        let parsed = try PasswordHash(encoded: stored.encoded)
        #expect(parsed == stored && parsed.verify("correct horse"))
    }

    @Test func theEncodingIsSelfDescribingAndMatchesPBKDF2() throws {
        let salt = Array(0..<16).map(UInt8.init)
        let h = PasswordHash(password: "pw", salt: salt, iterations: 1_000)
        let fields = h.encoded.split(separator: "$")
        #expect(fields.count == 4 && fields[0] == "pbkdf2-sha256" && fields[1] == "1000")
        #expect(Base64URL.decode(fields[2]) == salt)
        #expect(Base64URL.decode(fields[3]) == PBKDF2.sha256(password: Array("pw".utf8), salt: salt, iterations: 1_000))
    }

    // Hashes at today's parameters cost about 0.2 s of CPU each: they run on their own thread, as the
    // daemon's do, so that on a loaded machine they cannot hold the cooperative pool that the suites
    // running beside this one (servers answering real peers) need.
    @Test func todaysParametersAreUsedByDefault() async throws {
        let (h, verified) = try await BlockingThread.run {
            let h = PasswordHash(password: "a real password")
            return (h, h.verify("a real password"))
        }
        #expect(h.iterations == 600_000 && h.salt.count == 16 && h.hash.count == 32)
        #expect(!h.needsRehash)
        #expect(verified)
    }

    @Test func aLoginForNoAccountSpendsAFullVerificationAndFails() async throws {
        let (iterations, verified) = try await BlockingThread.run {
            (PasswordHash.unknownAccount.iterations, PasswordHash.verifyWithoutAccount("anything"))
        }
        #expect(iterations == PasswordHash.currentIterations)
        #expect(!verified)
    }

    @Test func saltsAreFreshPerHash() {
        let a = PasswordHash(password: "same", iterations: 10)
        let b = PasswordHash(password: "same", iterations: 10)
        #expect(a.salt != b.salt && a.hash != b.hash)
    }

    @Test func weakerParametersNeedARehash() throws {
        #expect(PasswordHash(password: "pw", iterations: 100_000).needsRehash)
        let shortSalt = try PasswordHash(encoded: "pbkdf2-sha256$600000$AAAAAAAAAAA$" + Base64URL.encode([UInt8](repeating: 1, count: 32)))
        #expect(shortSalt.needsRehash)
    }

    @Test(arguments: ["", "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA", "scrypt$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$99999999$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$-5$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$600000$AA*AAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAA"])
    func malformedStoredHashesAreRefused(text: String) {
        #expect(throws: PasswordHashError.self) { try PasswordHash(encoded: text) }
    }

    @Test func theDescriptionNeverShowsTheHash() {
        let h = PasswordHash(password: "pw", iterations: 10)
        #expect(!"\(h)".contains(Base64URL.encode(h.hash)))
    }
}

@Suite struct OpaqueTokenTests {
    @Test func aPrintedTokenParsesBackAndMatchesItsStoredHash() throws {
        let token = OpaqueToken.generate(.refresh)
        #expect(token.printed.hasPrefix("bvr_") && token.printed.utf8.count == 47)
        let parsed = try #require(OpaqueToken(parsing: token.printed, as: .refresh))
        #expect(parsed.storedHash == token.storedHash)
        #expect(parsed.matches(storedHash: token.storedHash))
        #expect(token.storedHash == SHA256.hash(Base64URL.decode(token.printed.dropFirst(4))!))
    }

    @Test func aTokenOfTheOtherKindOrAMangledOneIsRefused() {
        let api = OpaqueToken.generate(.api)
        #expect(api.printed.hasPrefix("bva_"))
        #expect(OpaqueToken(parsing: api.printed, as: .refresh) == nil)
        #expect(OpaqueToken(parsing: api.printed + "A", as: .api) == nil)
        #expect(OpaqueToken(parsing: String(api.printed.dropLast()) + "*", as: .api) == nil)
        #expect(OpaqueToken(parsing: "bva_", as: .api) == nil)
    }

    @Test func twoTokensDifferAndTheirHashesDoNotMatchEachOther() {
        let a = OpaqueToken.generate(.api)
        let b = OpaqueToken.generate(.api)
        #expect(a.printed != b.printed)
        #expect(!a.matches(storedHash: b.storedHash))
    }

    @Test func theDescriptionNeverShowsTheSecret() {
        let t = OpaqueToken.generate(.api)
        #expect("\(t)" == "OpaqueToken(bva_…)")
        #expect(!"\(t)".contains(String(t.printed.dropFirst(4))))
    }
}

@Suite struct Base64URLTests {
    // RFC 4648 §10 test vectors, in the URL alphabet without padding.
    @Test func rfc4648VectorsRoundTrip() {
        for (plain, encoded) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                                 ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test func anyBytesRoundTrip() {
        for n in 0..<70 {
            let bytes = SecureRandom.bytes(n)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    // Padding, a lone character, non-zero pad bits ("Zh", "Zm-"), the standard alphabet, whitespace.
    @Test(arguments: ["Zg==", "Z", "Zh", "Zm-", "Zm+v", "Zm/v", "Zm9v ", "Zm9v\n", "Zm9vY"])
    func nonCanonicalTextIsRefused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
