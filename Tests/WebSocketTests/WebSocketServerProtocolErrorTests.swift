import Testing
import Foundation
import HTTP
import IOCore
import TestSupport
@testable import WebSocket

/// Raw frames against our server: protocol violations get the right close code.
@Suite struct WebSocketServerProtocolErrorTests {
    func closeCode(after frame: [UInt8], port: Int) async throws -> UInt16? {
        let s = try await SocketStream.connect(host: "127.0.0.1", port: port, deadline: .after(testPatience))
        defer { s.close() }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await s.write(Array("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var buffer: [UInt8] = []
        while !String(decoding: buffer, as: UTF8.self).contains("\r\n\r\n") {
            guard try await s.read(into: &buffer, maxLength: 4096, deadline: .after(testPatience)) > 0 else { return nil }
        }
        let headEnd = buffer.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound
        #expect(String(decoding: buffer[..<headEnd], as: UTF8.self).hasPrefix("HTTP/1.1 101 Switching Protocols"))
        buffer.removeFirst(headEnd)
        try await s.write(frame)
        var decoder = WebSocketFrameDecoder(role: .client)
        decoder.feed(buffer)
        while true {
            if let event = try decoder.next(), case .close(let code, _) = event { return code.rawValue }
            var chunk: [UInt8] = []
            guard try await s.read(into: &chunk, maxLength: 4096, deadline: .after(testPatience)) > 0 else { return nil }
            decoder.feed(chunk)
        }
    }

    @Test func violationsCloseWith1002And1007And1009() async throws {
        let server = try HTTPServer(port: 0, responder: {
            var router = Router()
            router.get("/ws") { request, _ in
                WebSocketHandshake.upgradeResponse(for: request, maximumMessageSize: 1000) { ws in
                    while (try? await ws.receive(deadline: .now + testPatience)) != nil {}
                }
            }
            return router
        }())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            let mask: (UInt8, UInt8, UInt8, UInt8) = (1, 2, 3, 4)
            #expect(try await closeCode(after: WebSocketFrame(opcode: .text, payload: Array("x".utf8)).encoded(), port: server.port) == 1002)
            #expect(try await closeCode(after: WebSocketFrame(opcode: .text, payload: [0xC3, 0x28]).encoded(mask: mask), port: server.port) == 1007)
            #expect(try await closeCode(after: WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 2000)).encoded(mask: mask), port: server.port) == 1009)
            #expect(try await closeCode(after: WebSocketFrame(fin: false, opcode: .ping, payload: []).encoded(mask: mask), port: server.port) == 1002)
            await server.shutdown()
            try await group.waitForAll()
        }
    }

    @Test func aBadUpgradeIsRefusedWithoutSwitching() async throws {
        try await withWebSocketServer { server in
            let s = try await SocketStream.connect(host: "127.0.0.1", port: server.port)
            defer { s.close() }
            try await s.write(Array("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n".utf8))
            var out: [UInt8] = []
            while !String(decoding: out, as: UTF8.self).contains("}") {
                guard try await s.read(into: &out, maxLength: 4096, deadline: .after(testPatience)) > 0 else { break }
            }
            let text = String(decoding: out, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 426"))
            #expect(text.contains("Sec-WebSocket-Version: 13"))
        }
    }
}
