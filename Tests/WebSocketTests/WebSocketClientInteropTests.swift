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
        async with serve(handler, "127.0.0.1", 0, max_size=2**20, open_timeout=\(testPatience.components.seconds),
                         close_timeout=\(testPatience.components.seconds), ping_interval=None) as server:
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
        # Deadlines bound a failure (testPatience), they do not time our server: a loaded machine may stall it.
        async with connect("ws://127.0.0.1:\(port)/ws", max_size=2**20, open_timeout=\(testPatience.components.seconds),
                           close_timeout=\(testPatience.components.seconds), ping_interval=None) as ws:
            await ws.send("hello")
            print(await ws.recv(), flush=True)
            await ws.send(b"\\x01\\x02\\x03")
            print((await ws.recv()).hex(), flush=True)
            await ws.send(["frag", "ment", "ed"])
            print(await ws.recv(), flush=True)
            pong = await ws.ping(b"ping-payload")
            await asyncio.wait_for(pong, \(testPatience.components.seconds))
            print("pong", flush=True)
            await ws.send("server pings")
            print(await ws.recv(), flush=True)
            await ws.send("batch")
            print(await ws.recv(), await ws.recv(), flush=True)
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
                guard let message = try? await ws.receive(deadline: .now + testPatience) else { return }
                switch message {
                case .binary(let b):
                    try? await ws.send(binary: b.reversed())
                case .text("server pings"):
                    // The client's pong is recorded by the next receive().
                    try? await ws.ping(Array("srv".utf8))
                    try? await ws.send(text: "pinged")
                case .text("batch"):
                    // Two frames encoded beforehand, in one write (how the event feed drains a backlog).
                    let frames = ["one", "two"].flatMap { WebSocketFrame(opcode: .text, payload: Array($0.utf8)).encoded() }
                    try? await ws.send(encoded: frames)
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
            try pythonWebSocketServer.writeAtomically(to: "\(dir)/server.py")
            let server = try BackgroundProcess(Peer.python3.path!, ["\(dir)/server.py"])
            let line = try await server.waitForLine { $0.hasPrefix("port ") }
            let port = Int(line.dropFirst(5))!
            for code: UInt16 in [1000, 1001, 1003, 1008, 1011, 4000, 4004, 4014] {
                let ws = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", deadline: .after(testPatience))
                try await ws.send(text: "hi")
                #expect(try await ws.receive(deadline: .after(testPatience)) == .text("echo:hi"))
                try await ws.send(binary: [1, 2, 3])
                #expect(try await ws.receive(deadline: .after(testPatience)) == .binary([3, 2, 1]))
                try await ws.send(fragmented: .text("split into frames"), fragmentSize: 4)
                #expect(try await ws.receive(deadline: .after(testPatience)) == .text("echo:split into frames"))
                try await ws.send(text: "fragments")
                #expect(try await ws.receive(deadline: .after(testPatience)) == .text("fragmented"))
                try await ws.send(text: "ping me")
                #expect(try await ws.receive(deadline: .after(testPatience)) == .text("pong received"))
                try await ws.ping(Array("rtt".utf8))
                try await ws.send(text: "after ping")
                #expect(try await ws.receive(deadline: .after(testPatience)) == .text("echo:after ping"))
                #expect(await ws.lastPong?.payload == Array("rtt".utf8))
                try await ws.send(text: "close:\(code)")
                do {
                    _ = try await ws.receive(deadline: .after(testPatience))
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
