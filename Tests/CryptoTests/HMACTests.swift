import Testing
@testable import Crypto

/// RFC 4231 §4 test cases for HMAC-SHA-256.
@Suite struct HMACTests {
    @Test func rfc4231Case1() {
        let mac = HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        #expect(hex(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231Case2WithAShortKey() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231Case3And4WithBinaryData() {
        let mac3 = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50))
        #expect(hex(mac3) == "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
        let mac4 = HMAC.sha256(key: Array(1...25), message: [UInt8](repeating: 0xcd, count: 50))
        #expect(hex(mac4) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
    }

    @Test func rfc4231Case6AKeyLongerThanABlockIsHashedFirst() {
        let mac = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                              message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(hex(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func equalComparesWholeMACs() {
        let mac = HMAC.sha256(key: [1], message: [2])
        var other = mac
        other[31] ^= 1
        #expect(HMAC.equal(mac, mac))
        #expect(!HMAC.equal(mac, other))
        #expect(!HMAC.equal(mac, Array(mac.prefix(16))))
    }
}
