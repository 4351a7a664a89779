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

    @Test func appendBytesKeepsOnlyWhatWasWrittenAfterWhatWasThere() {
        var bytes: [UInt8] = [1, 2]
        let tag = bytes.appendBytes(maxLength: 16_384) { raw -> (count: Int, result: String) in
            raw[0] = 3
            raw[1] = 4
            return (2, "two")
        }
        #expect(tag == "two" && bytes == [1, 2, 3, 4])
        // Nothing written (EAGAIN, end of stream): nothing appended, and an empty array stays empty.
        var empty: [UInt8] = []
        empty.appendBytes(maxLength: 65_536) { _ in (0, ()) }
        #expect(empty.isEmpty && empty.capacity == 0)
        empty.appendBytes(maxLength: 8) { raw in
            raw.copyBytes(from: [9, 9, 9])
            return (3, ())
        }
        #expect(empty == [9, 9, 9])
    }
}

