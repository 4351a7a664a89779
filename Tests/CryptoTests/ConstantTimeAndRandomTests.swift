import Testing
@testable import Crypto

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
