import Testing
import Crypto
import IOCore
@testable import Auth

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
