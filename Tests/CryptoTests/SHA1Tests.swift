import Testing
@testable import Crypto

/// FIPS 180-2 appendix A, and RFC 6455's handshake example.
@Suite struct SHA1Tests {
    @Test func abcHashesToTheFIPSDigest() {
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test func theRFC6455SampleKeyGivesTheSampleAcceptDigest() {
        // RFC 6455 §1.3: base64 of this digest is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
        let digest = SHA1.hash(Array("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8))
        #expect(hex(digest) == "b37a4f2cc0624f1690f64606cf385945b2bec4ea")
    }
}
