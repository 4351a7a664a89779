import Testing
import IOCore
@testable import IPC

@Suite struct IPCConnectionTests {
    private func pair() async throws -> (IPCConnection, IPCConnection, SocketListener) {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port)
        return (IPCConnection(stream: client), IPCConnection(stream: try await accepted), listener)
    }

    @Test func aRequestGetsItsReplyWhileOtherMessagesFlow() async throws {
        let (worker, supervisor, listener) = try await pair()
        defer { listener.close() }
        let serving = Task {
            while true {
                let envelope = try await supervisor.receive()
                if case .sendMessage(let m) = envelope.message {
                    // The reply comes first: the worker's receive loop must route it, not return it.
                    try await supervisor.send(.reply(Reply(ok: true, result: ["channel": m.channelID])), replyTo: envelope.id)
                    try await supervisor.send(.heartbeat)
                }
            }
        }
        defer { serving.cancel() }
        let receiving = Task { try await worker.receive() }
        let reply = try await worker.request(.sendMessage(SendMessage(channelID: "42", content: "hi")), timeout: .seconds(10))
        guard case .reply(let body) = reply.message else { Issue.record("not a reply"); return }
        #expect(body.result?["channel"] == "42")
        let other = try await receiving.value
        guard case .heartbeat = other.message else { Issue.record("expected heartbeat"); return }
        await worker.close()
        await supervisor.close()
    }

    @Test func aRequestWithoutAReplyTimesOut() async throws {
        let (worker, supervisor, listener) = try await pair()
        defer { listener.close() }
        let reader = Task { try? await worker.receive() }
        await #expect(throws: IPCError.timedOut) {
            _ = try await worker.request(.stop(Stop(handover: false)), timeout: .milliseconds(50))
        }
        await worker.close()
        await supervisor.close()
        _ = await reader.value
    }

    @Test func garbageOnTheWireIsAMalformedMessageError() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        async let accepted = listener.accept()
        let raw = try await SocketStream.connect(host: "127.0.0.1", port: listener.port)
        let connection = IPCConnection(stream: try await accepted)
        try await raw.write(IPCFrame.encode(Array("{oops".utf8)))
        await #expect(throws: IPCError.self) { _ = try await connection.receive() }
        raw.close()
    }
}
