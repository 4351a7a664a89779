import Testing
@testable import WebSocket

@Suite struct FrameDecoderTests {
    func events(_ bytes: [UInt8], role: WebSocketFrameDecoder.Role = .client, max: Int = 1 << 20, byteByByte: Bool = false) throws -> [WebSocketEvent] {
        var d = WebSocketFrameDecoder(role: role, maximumMessageSize: max)
        var out: [WebSocketEvent] = []
        if byteByByte {
            for b in bytes {
                d.feed([b])
                while let e = try d.next() { out.append(e) }
            }
        } else {
            d.feed(bytes)
            while let e = try d.next() { out.append(e) }
        }
        return out
    }

    func failure(_ bytes: [UInt8], role: WebSocketFrameDecoder.Role = .client, max: Int = 1 << 20) -> WebSocketCloseCode? {
        do { _ = try events(bytes, role: role, max: max); return nil } catch { return (error as? WebSocketProtocolError)?.code }
    }

    // RFC 6455 §5.7 examples.
    @Test func theRFCExamplesDecode() throws {
        #expect(try events([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]) == [.text("Hello")])
        #expect(try events([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], role: .server) == [.text("Hello")])
        #expect(try events([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f], byteByByte: true) == [.text("Hello")])
        #expect(try events([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]) == [.ping(Array("Hello".utf8))])
        let big = [UInt8](repeating: 7, count: 256)
        #expect(try events([0x82, 0x7E, 0x01, 0x00] + big) == [.binary(big)])
        let huge = [UInt8](repeating: 1, count: 65_536)
        #expect(try events([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + huge) == [.binary(huge)])
    }

    @Test func encodingRoundTripsWithAndWithoutAMask() throws {
        for size in [0, 5, 125, 126, 65_535, 65_536] {
            let payload = (0..<size).map { UInt8($0 & 0xFF) }
            let frame = WebSocketFrame(opcode: .binary, payload: payload)
            #expect(try events(frame.encoded()) == [.binary(payload)])
            #expect(try events(frame.encoded(mask: (9, 8, 7, 6)), role: .server) == [.binary(payload)])
        }
    }

    @Test func aControlFrameMayArriveBetweenFragments() throws {
        let bytes: [UInt8] = [0x01, 0x01, 0x61, 0x89, 0x00, 0x80, 0x01, 0x62]
        #expect(try events(bytes) == [.ping([]), .text("ab")])
    }

    @Test func closeFramesCarryTheirCodeAndReason() throws {
        #expect(try events([0x88, 0x00]) == [.close(.noStatusReceived, "")])
        #expect(try events(WebSocketFrame(opcode: .close, payload: WebSocketFrame.closePayload(code: WebSocketCloseCode(4004), reason: "Authentication failed.")).encoded())
                == [.close(WebSocketCloseCode(4004), "Authentication failed.")])
    }

    @Test func protocolErrorsMapTo1002() {
        #expect(failure([0xC1, 0x00]) == .protocolError)                       // RSV1 without an extension
        #expect(failure([0x83, 0x00]) == .protocolError)                       // reserved opcode
        #expect(failure([0x81, 0x01, 0x61], role: .server) == .protocolError)  // unmasked client frame
        #expect(failure([0x81, 0x81, 0, 0, 0, 0, 0x61]) == .protocolError)     // masked server frame
        #expect(failure([0x09, 0x00]) == .protocolError)                       // fragmented ping
        #expect(failure([0x89, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0, count: 126)) == .protocolError) // control > 125
        #expect(failure([0x80, 0x00]) == .protocolError)                       // continuation without a start
        #expect(failure([0x01, 0x01, 0x61, 0x81, 0x01, 0x62]) == .protocolError) // new message inside a fragmented one
        #expect(failure([0x88, 0x01, 0x03]) == .protocolError)                 // 1-byte close body
        #expect(failure([0x88, 0x02, 0x03, 0xED]) == .protocolError)           // close code 1005 on the wire
        #expect(failure([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]) == .protocolError) // 64-bit length with the MSB set
    }

    @Test func invalidUTF8Is1007EvenAcrossFragments() {
        #expect(failure([0x81, 0x02, 0xC3, 0x28]) == .invalidPayload)
        #expect(failure([0x81, 0x03, 0xED, 0xA0, 0x80]) == .invalidPayload)    // a UTF-16 surrogate
        #expect(failure([0x01, 0x01, 0xF0, 0x80, 0x01, 0x41]) == .invalidPayload) // split, then wrong continuation
        #expect(failure([0x81, 0x01, 0xC3]) == .invalidPayload)                // ends mid-character
        #expect(failure([0x88, 0x04, 0x03, 0xE8, 0xC3, 0x28]) == .invalidPayload) // close reason
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        #expect((try? events([0x01, 0x01, euro[0], 0x80, 0x02, euro[1], euro[2]])) == [.text("€")])
    }

    @Test func anOversizedMessageIs1009() {
        #expect(failure([0x82, 0x7E, 0x01, 0x00] + [UInt8](repeating: 0, count: 256), max: 100) == .messageTooBig)
        #expect(failure([0x02, 0x40] + [UInt8](repeating: 0, count: 64) + [0x80, 0x40] + [UInt8](repeating: 0, count: 64), max: 100) == .messageTooBig)
    }

    @Test func theAcceptValueMatchesTheRFC() {
        // RFC 6455 §1.3.
        #expect(WebSocketHandshake.acceptValue(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
