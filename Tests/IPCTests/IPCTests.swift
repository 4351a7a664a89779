import Testing
import IOCore
@testable import IPC

@Suite struct IPCFrameDecoderTests {
    @Test func framesSplitAtEveryByteAreReassembled() throws {
        let payloads: [[UInt8]] = [Array("{\"a\":1}".utf8), Array(repeating: 0x41, count: 300), [0x7b, 0x7d]]
        let wire = payloads.flatMap { IPCFrame.encode($0) }
        var decoder = IPCFrameDecoder()
        var out: [[UInt8]] = []
        for byte in wire {
            decoder.feed([byte])
            while let frame = try decoder.next() { out.append(frame) }
        }
        #expect(out == payloads)
        #expect(decoder.pendingByteCount == 0)
    }

    @Test func anOversizedFrameIsRejectedBeforeItsBodyArrives() {
        var decoder = IPCFrameDecoder(maximumFrameSize: 1024)
        decoder.feed([0x00, 0x00, 0x04, 0x01])
        #expect(throws: IPCError.frameTooLarge(1025, limit: 1024)) { try decoder.next() }
    }

    @Test func anEmptyFrameIsRejected() {
        var decoder = IPCFrameDecoder()
        decoder.feed([0, 0, 0, 0])
        #expect(throws: IPCError.emptyFrame) { try decoder.next() }
    }

    @Test func envelopesRoundTripWithTheirCorrelationIDs() throws {
        let record = CommandRecord(id: "r1", bot: "alpha", guildID: "g", channelID: "c", userID: "u", command: "ping",
                                   options: "{}", startedAt: 1, durationMicros: 250, outcome: .ok)
        let envelope = IPCEnvelope(.commands(CommandBatch(records: [record])), id: 7)
        var decoder = IPCFrameDecoder()
        decoder.feed(try envelope.encoded())
        let back = try IPCEnvelope.decode(try #require(try decoder.next()))
        #expect(back.id == 7)
        guard case .commands(let batch) = back.message else { Issue.record("wrong type"); return }
        #expect(batch.records == [record])
    }

    @Test func malformedJSONAndUnknownTypesAreTypedErrors() {
        #expect(throws: IPCError.self) { try IPCEnvelope.decode(Array("not json".utf8)) }
        #expect(throws: IPCError.malformedMessage("unknown message type bogus")) {
            try IPCEnvelope.decode(Array("{\"type\":\"bogus\"}".utf8))
        }
        #expect(throws: IPCError.malformedMessage("missing key body")) {
            try IPCEnvelope.decode(Array("{\"type\":\"hello\"}".utf8))
        }
    }
}

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
