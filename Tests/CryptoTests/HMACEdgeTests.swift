import Testing
@testable import Crypto

@Suite struct HMACEdgeTests {
    @Test func anEmptyKeyAndMessageStillAuthenticate() {
        #expect(hex(HMAC.sha256(key: [], message: []))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
