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
