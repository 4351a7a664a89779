import Testing
import Foundation
import HTTP
import IOCore
import TestSupport
@testable import WebSocket

let websockets = PythonModule("websockets")

/// A Python `websockets` server driven by the client's messages.
let pythonWebSocketServer = """
    import asyncio, sys
    from websockets.asyncio.server import serve

    async def handler(ws):
        async for message in ws:
            if isinstance(message, bytes):
                await ws.send(message[::-1])
            elif message == "fragments":
                await ws.send(["frag", "ment", "ed"])
            elif message == "ping me":
                pong = await ws.ping(b"p1")
                await pong
                await ws.send("pong received")
            elif message.startswith("close:"):
                await ws.close(code=int(message[6:]), reason="server says bye")
                return
            else:
                await ws.send("echo:" + message)

    async def main():
        async with serve(handler, "127.0.0.1", 0, max_size=2**20) as server:
            print("port", server.sockets[0].getsockname()[1], flush=True)
            await asyncio.get_running_loop().create_future()

    asyncio.run(main())
    """

/// A Python `websockets` client exercising our server; prints one line per step.
func pythonWebSocketClient(port: Int, closeCode: Int) -> String {
    """
    import asyncio
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async def main():
        async with connect("ws://127.0.0.1:\(port)/ws", max_size=2**20) as ws:
            await ws.send("hello")
            print(await ws.recv(), flush=True)
            await ws.send(b"\\x01\\x02\\x03")
            print((await ws.recv()).hex(), flush=True)
            await ws.send(["frag", "ment", "ed"])
            print(await ws.recv(), flush=True)
            pong = await ws.ping(b"ping-payload")
            await asyncio.wait_for(pong, 5)
            print("pong", flush=True)
            await ws.send("server pings")
            print(await ws.recv(), flush=True)
            await ws.send("close:\(closeCode)")
            try:
                await ws.recv()
            except ConnectionClosed as e:
                print("closed", e.rcvd.code if e.rcvd else None, e.rcvd.reason if e.rcvd else "", flush=True)

    asyncio.run(main())
    """
}

/// A router with a WebSocket echo endpoint for the Python client.
func webSocketRouter() -> Router {
    var router = Router()
    router.get("/ws") { request, _ in
        WebSocketHandshake.upgradeResponse(for: request) { ws in
            while true {
                guard let message = try? await ws.receive(deadline: .now + .seconds(20)) else { return }
                switch message {
                case .binary(let b):
                    try? await ws.send(binary: b.reversed())
                case .text("server pings"):
                    // The client's pong is recorded by the next receive().
                    try? await ws.ping(Array("srv".utf8))
                    try? await ws.send(text: "pinged")
                case .text(let t) where t.hasPrefix("close:"):
                    await ws.close(code: WebSocketCloseCode(UInt16(t.dropFirst(6))!), reason: "bye")
                    return
                case .text(let t):
                    try? await ws.send(text: "echo:" + t)
                }
            }
        }
    }
    return router
}

func withWebSocketServer<T>(_ body: (HTTPServer) async throws -> T) async throws -> T {
    let server = try HTTPServer(port: 0, responder: webSocketRouter())
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await server.run() }
        defer { group.cancelAll() }
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}

@Suite struct WebSocketClientInteropTests {
    @Test(.enabled(websockets.missing) { await websockets.available() })
    func ourClientTalksToAPythonServerAndSeesItsCloseCodes() async throws {
        try await withTemporaryDirectory { dir in
            try pythonWebSocketServer.write(toFile: "\(dir)/server.py", atomically: true, encoding: .utf8)
            let server = try BackgroundProcess(Peer.python3.path!, ["\(dir)/server.py"])
            let line = try await server.waitForLine { $0.hasPrefix("port ") }
            let port = Int(line.dropFirst(5))!
            for code: UInt16 in [1000, 1001, 1003, 1008, 1011, 4000, 4004, 4014] {
                let ws = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", deadline: .after(.seconds(10)))
                try await ws.send(text: "hi")
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .text("echo:hi"))
                try await ws.send(binary: [1, 2, 3])
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .binary([3, 2, 1]))
                try await ws.send(fragmented: .text("split into frames"), fragmentSize: 4)
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .text("echo:split into frames"))
                try await ws.send(text: "fragments")
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .text("fragmented"))
                try await ws.send(text: "ping me")
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .text("pong received"))
                try await ws.ping(Array("rtt".utf8))
                try await ws.send(text: "after ping")
                #expect(try await ws.receive(deadline: .after(.seconds(10))) == .text("echo:after ping"))
                #expect(await ws.lastPong?.payload == Array("rtt".utf8))
                try await ws.send(text: "close:\(code)")
                do {
                    _ = try await ws.receive(deadline: .after(.seconds(10)))
                    Issue.record("no close")
                } catch let closed as WebSocketClosed {
                    #expect(closed.code.rawValue == code)
                    #expect(closed.reason == "server says bye")
                    #expect(closed.byPeer)
                }
            }
            await server.stop()
        }
    }
}

@Suite struct WebSocketServerInteropTests {
    @Test(.enabled(websockets.missing) { await websockets.available() }, arguments: [1000, 1001, 1008, 4000, 4009])
    func aPythonClientTalksToOurServer(closeCode: Int) async throws {
        try await withTemporaryDirectory { dir in
            try await withWebSocketServer { server in
                try pythonWebSocketClient(port: server.port, closeCode: closeCode).write(toFile: "\(dir)/client.py", atomically: true, encoding: .utf8)
                let result = try await runProcess(Peer.python3.path!, ["\(dir)/client.py"], timeout: .seconds(30))
                #expect(result.stdout == "echo:hello\n030201\necho:fragmented\npong\npinged\nclosed \(closeCode) bye\n", "\(result.stderr)")
            }
        }
    }
}

/// Raw frames against our server: protocol violations get the right close code.
@Suite struct WebSocketServerProtocolErrorTests {
    func closeCode(after frame: [UInt8], port: Int) async throws -> UInt16? {
        let s = try await SocketStream.connect(host: "127.0.0.1", port: port, deadline: .after(.seconds(30)))
        defer { s.close() }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await s.write(Array("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var buffer: [UInt8] = []
        while !String(decoding: buffer, as: UTF8.self).contains("\r\n\r\n") {
            guard try await s.read(into: &buffer, maxLength: 4096, deadline: .after(.seconds(30))) > 0 else { return nil }
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
            guard try await s.read(into: &chunk, maxLength: 4096, deadline: .after(.seconds(30))) > 0 else { return nil }
            decoder.feed(chunk)
        }
    }

    @Test func violationsCloseWith1002And1007And1009() async throws {
        let server = try HTTPServer(port: 0, responder: {
            var router = Router()
            router.get("/ws") { request, _ in
                WebSocketHandshake.upgradeResponse(for: request, maximumMessageSize: 1000) { ws in
                    while (try? await ws.receive(deadline: .now + .seconds(10))) != nil {}
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
                guard try await s.read(into: &out, maxLength: 4096, deadline: .after(.seconds(60))) > 0 else { break }
            }
            let text = String(decoding: out, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 426"))
            #expect(text.contains("Sec-WebSocket-Version: 13"))
        }
    }
}
