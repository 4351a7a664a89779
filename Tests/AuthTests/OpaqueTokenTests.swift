import Testing
import Crypto
import IOCore
@testable import Auth

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
