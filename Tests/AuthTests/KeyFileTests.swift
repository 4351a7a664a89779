import Testing
import Crypto
import JSON
@testable import Auth

@Suite struct KeyFileTests {
    @Test func aRingSurvivesItsKeyFileWithRetirementTimes() throws {
        var ring = JWTKeyRing(issuer: "botvisor", current: try SigningKey.generate(id: "a"))
        let old = ring.sign(Fixture.claims)
        ring.rotate(to: try SigningKey.generate(id: "b"), previousValidUntil: Fixture.now + 930)
        let text = ring.fileContents
        let loaded = try JWTKeyRing(issuer: "botvisor", fileContents: text)
        #expect(loaded.keyIDs == ["b", "a"] && loaded.retirement == ["a": Fixture.now + 930])
        #expect(loaded.fileContents == text)
        #expect(try loaded.verify(old, now: Fixture.now).subject == "alice")
        // From its retirement second on, the old key verifies nothing.
        #expect(throws: JWTError.unknownKeyID("a")) { try loaded.verify(old, now: Fixture.now + 930) }
        var pruned = loaded
        #expect(pruned.removeRetired(now: Fixture.now + 930) == ["a"] && pruned.keyIDs == ["b"])
    }

    @Test func aBrokenKeyFileNamesTheLineWithoutEchoingIt() {
        let secret = Base64URL.encode(Fixture.secret)
        #expect(throws: KeyFileError.noCurrentKey) { try JWTKeyRing(issuer: "b", fileContents: "# empty\n") }
        #expect(throws: KeyFileError.invalidLine(2)) { try JWTKeyRing(issuer: "b", fileContents: "current a \(secret)\ncurrent b \(secret)\n") }
        #expect(throws: KeyFileError.invalidLine(1)) { try JWTKeyRing(issuer: "b", fileContents: "current a c2hvcnQ\n") }
        #expect(throws: KeyFileError.invalidLine(2)) { try JWTKeyRing(issuer: "b", fileContents: "current a \(secret)\nprevious b \(secret) soon\n") }
    }
}
