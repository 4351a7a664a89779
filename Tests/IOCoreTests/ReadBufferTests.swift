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

@Suite struct SocketListenerServeTests {
    @Test func theAcceptLoopServesEveryConnectionAndReturnsOnceTheyEndAfterClose() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let served = ServedCount()
        async let loop: Void = listener.serve { stream in
            defer { stream.close() }
            var byte: [UInt8] = []
            if (try? await stream.read(into: &byte, maxLength: 1, deadline: .after(.seconds(10)))) == 1 { await served.add() }
        }
        for _ in 0..<3 {
            let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port, deadline: .after(.seconds(5)))
            try await client.write([1], deadline: .after(.seconds(5)))
            client.close()
        }
        try await eventually("three connections served") { await served.count == 3 }
        listener.close()
        await loop
        #expect(await served.count == 3)
    }

    actor ServedCount {
        var count = 0
        func add() { count += 1 }
    }
}
