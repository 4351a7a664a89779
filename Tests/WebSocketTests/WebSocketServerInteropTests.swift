import Testing
import Foundation
import HTTP
import IOCore
import TestSupport
@testable import WebSocket

@Suite struct WebSocketServerInteropTests {
    @Test(.enabled(websockets.missing) { await websockets.available() }, arguments: [1000, 1001, 1008, 4000, 4009])
    func aPythonClientTalksToOurServer(closeCode: Int) async throws {
        try await withTemporaryDirectory { dir in
            try await withWebSocketServer { server in
                try pythonWebSocketClient(port: server.port, closeCode: closeCode).writeAtomically(to: "\(dir)/client.py")
                let result = try await runProcess(Peer.python3.path!, ["\(dir)/client.py"], timeout: .seconds(30))
                #expect(result.stdout == "echo:hello\n030201\necho:fragmented\npong\npinged\none two\nclosed \(closeCode) bye\n", "\(result.stderr)")
            }
        }
    }
}
