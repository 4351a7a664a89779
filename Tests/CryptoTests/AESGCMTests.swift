import Testing
@testable import Crypto

/// AES-256-GCM against the GCM specification's test cases 13 and 14 (zero key and nonce), and sealed round trips.
@Suite struct AESGCMTests {
    let zeroKey = [UInt8](repeating: 0, count: 32)
    let zeroNonce = [UInt8](repeating: 0, count: 12)

    @Test func testCase13AnEmptyMessageHasTheKnownTag() throws {
        let (ciphertext, tag) = try AESGCM.seal([], key: zeroKey, nonce: zeroNonce)
        #expect(ciphertext.isEmpty)
        #expect(hex(tag) == "530f8afbc74536b9a963b4f1c4cb738b")
    }

    @Test func testCase14OneZeroBlockHasTheKnownCiphertextAndTag() throws {
        let (ciphertext, tag) = try AESGCM.seal([UInt8](repeating: 0, count: 16), key: zeroKey, nonce: zeroNonce)
        #expect(hex(ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(hex(tag) == "d0d1c8a799996bf0265b98b5d48ab919")
        let opened = try AESGCM.open(ciphertext, key: zeroKey, nonce: zeroNonce, tag: tag)
        #expect(opened == [UInt8](repeating: 0, count: 16))
    }

    @Test func aSealedMessageOpensOnlyWithItsKeyAndAssociatedData() throws {
        let key = try AESGCM.randomKey()
        let sealed = try AESGCM.seal(Array("secret".utf8), key: key, authenticating: Array("alpha".utf8))
        #expect(sealed.count == 12 + 6 + 16)
        #expect(try AESGCM.open(sealed, key: key, authenticating: Array("alpha".utf8)) == Array("secret".utf8))
        #expect(throws: AESGCMError.authenticationFailed) { try AESGCM.open(sealed, key: key, authenticating: Array("beta".utf8)) }
        #expect(throws: AESGCMError.authenticationFailed) {
            try AESGCM.open(sealed, key: try AESGCM.randomKey(), authenticating: Array("alpha".utf8))
        }
        var tampered = sealed
        tampered[14] ^= 1
        #expect(throws: AESGCMError.authenticationFailed) { try AESGCM.open(tampered, key: key, authenticating: Array("alpha".utf8)) }
        #expect(throws: AESGCMError.authenticationFailed) { try AESGCM.open(Array(sealed.prefix(20)), key: key) }
    }

    @Test func twoSealsOfOneMessageDiffer() throws {
        let key = try AESGCM.randomKey()
        #expect(try AESGCM.seal([1, 2, 3], key: key) != AESGCM.seal([1, 2, 3], key: key))
    }
}
