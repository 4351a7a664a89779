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
