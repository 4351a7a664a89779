import Testing
@testable import IOCore
import TestSupport

@Suite struct ReadBufferTests {
    @Test func aFullyConsumedBufferStartsOverAndReportsWhatItDropped() {
        var buffer = ReadBuffer(compactionThreshold: 1024)
        buffer.append(contentsOf: [1, 2, 3, 4])
        buffer.start = 4
        #expect(buffer.compact() == 4)
        #expect(buffer.start == 0 && buffer.bytes.isEmpty && buffer.readableCount == 0)
    }

    @Test func aSmallConsumedFrontStaysUntilItPassesTheThresholdAndHalfTheStorage() {
        var buffer = ReadBuffer(compactionThreshold: 8)
        buffer.append(contentsOf: Array(0..<20 as Range<UInt8>))
        buffer.start = 8
        #expect(buffer.compact() == 0 && buffer.start == 8)
        buffer.start = 10
        // Past the threshold but not more than half: moving 10 bytes to keep 10 is not worth it yet.
        #expect(buffer.compact() == 0)
        buffer.start = 11
        #expect(buffer.compact() == 11)
        #expect(buffer.start == 0 && buffer.bytes == Array(11..<20 as Range<UInt8>) && buffer.leftover == buffer.bytes)
    }

    @Test func aReaderAppendsIntoTheStorageDirectly() async {
        var buffer = ReadBuffer()
        await buffer.withWritableBytes { $0.append(contentsOf: [7, 8]) }
        #expect(buffer.readableCount == 2 && buffer.leftover == [7, 8])
    }
}
