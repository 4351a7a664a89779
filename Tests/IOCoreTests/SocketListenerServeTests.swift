import Testing
@testable import IOCore
import TestSupport

@Suite struct SocketListenerServeTests {
    @Test func theAcceptLoopServesEveryConnectionAndReturnsOnceTheyEndAfterClose() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let served = ServedCount()
        async let loop: Void = listener.serve { stream in
            defer { stream.close() }
            var byte: [UInt8] = []
            if (try? await stream.read(into: &byte, maxLength: 1, deadline: .after(testPatience))) == 1 { await served.add() }
        }
        for _ in 0..<3 {
            let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port, deadline: .after(testPatience))
            try await client.write([1], deadline: .after(testPatience))
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
