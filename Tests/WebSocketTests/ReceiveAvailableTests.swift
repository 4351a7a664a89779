import IOCore
import Synchronization
import Testing
@testable import WebSocket

/// `receiveAvailable` hands over a backlog of messages at once (the gateway worker's reader, issue 16), and
/// leaves control frames and protocol errors to the next call, in their place in the stream.
@Suite struct ReceiveAvailableTests {
    /// A stream whose bytes are all there at the start (given as the connection's leftover): reads end it,
    /// writes are kept.
    final class EndedStream: ByteStream {
        let written = Mutex<[UInt8]>([])
        func read(into buffer: inout [UInt8], maxLength: Int, deadline: Deadline?) async throws -> Int { 0 }
        func write(_ bytes: [UInt8], deadline: Deadline?) async throws { written.withLock { $0 += bytes } }
        func shutdownWrite() async {}
        func close() {}
        func waitUntilReadable(deadline: Deadline?) async throws {}
    }

    func text(_ s: String) -> [UInt8] { WebSocketFrame(opcode: .text, payload: Array(s.utf8)).encoded() }

    @Test func aBacklogComesInOneCallUpToTheLimitAndStopsBeforeAControlFrame() async throws {
        let stream = EndedStream()
        let wire = text("a") + text("b") + text("c") + WebSocketFrame(opcode: .ping, payload: [7]).encoded() + text("d")
            + WebSocketFrame(opcode: .text, payload: [0xC3, 0x28]).encoded() + text("never")
        let ws = WebSocketConnection(stream: stream, role: .client, leftover: wire)
        #expect(try await ws.receiveAvailable(limit: 2) == [.text("a"), .text("b")])
        #expect(try await ws.receiveAvailable(limit: 10) == [.text("c")])
        // The ping is answered by the next call, which then takes what follows, up to the bad frame.
        #expect(try await ws.receiveAvailable(limit: 10) == [.text("d")])
        #expect(stream.written.withLock { $0 }.starts(with: [0x8A, 0x81])) // a masked pong of one byte
        // The bad frame fails the connection with 1007 on the call after, as `receive` would have.
        let closed = await #expect(throws: WebSocketClosed.self) { try await ws.receiveAvailable(limit: 10) }
        #expect(closed?.code == .invalidPayload)
        #expect(await ws.closeCode == .invalidPayload)
    }

    @Test func aStreamThatEndsAfterTheBacklogClosesAfterIt() async throws {
        let ws = WebSocketConnection(stream: EndedStream(), role: .client, leftover: text("x") + text("y"))
        #expect(try await ws.receiveAvailable(limit: 64) == [.text("x"), .text("y")])
        let closed = await #expect(throws: WebSocketClosed.self) { try await ws.receiveAvailable(limit: 64) }
        #expect(closed?.code == .abnormalClosure)
    }
}
