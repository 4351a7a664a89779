// Stdlib only.
#if canImport(IOCore)
import IOCore  // ReadBuffer; the fuzzer compiles ReadBuffer.swift in instead
#endif

/// What the decoder produces.
public enum WebSocketEvent: Sendable, Equatable {
    /// A complete text or binary message (fragments reassembled).
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// The peer's close frame: its code (1005 when it sent none) and reason.
    case close(WebSocketCloseCode, String)
}

/// A protocol violation and the close code to answer it with.
public struct WebSocketProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: WebSocketCloseCode
    public var reason: String
    public init(_ code: WebSocketCloseCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }
    public var description: String { "\(code.rawValue) \(reason)" }
}

/// Decodes frames from bytes and reassembles messages (RFC 6455 §5). A pure
/// state machine: feed bytes, take events; violations throw with the close
/// code the connection must send.
public struct WebSocketFrameDecoder: Sendable {
    public enum Role: Sendable { case client, server }

    public let role: Role
    public let maximumMessageSize: Int
    private var input = ReadBuffer(compactionThreshold: 65_536)
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []
    private var utf8 = UTF8Validator()

    public init(role: Role, maximumMessageSize: Int = 1 << 20) {
        self.role = role
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        input.compact()
        input.append(contentsOf: bytes)
    }

    /// The next event, nil when more bytes are needed.
    public mutating func next() throws(WebSocketProtocolError) -> WebSocketEvent? {
        while true {
            guard let frame = try nextFrame() else { return nil }
            if let event = try handle(frame) { return event }
        }
    }

    private mutating func nextFrame() throws(WebSocketProtocolError) -> WebSocketFrame? {
        let available = input.bytes.count - input.start
        guard available >= 2 else { return nil }
        let b0 = input.bytes[input.start], b1 = input.bytes[input.start + 1]
        let fin = b0 & 0x80 != 0
        // RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them; we negotiate none.
        guard b0 & 0x70 == 0 else { throw WebSocketProtocolError(.protocolError, "reserved bits set") }
        let opcode = WebSocketOpcode(rawValue: b0 & 0x0F)
        guard opcode.isKnown else { throw WebSocketProtocolError(.protocolError, "unknown opcode \(opcode.rawValue)") }
        let masked = b1 & 0x80 != 0
        // RFC 6455 §5.1: clients mask every frame, servers never do.
        if role == .server && !masked { throw WebSocketProtocolError(.protocolError, "unmasked client frame") }
        if role == .client && masked { throw WebSocketProtocolError(.protocolError, "masked server frame") }
        var length = UInt64(b1 & 0x7F)
        var offset = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(input.bytes[input.start + 2]) << 8 | UInt64(input.bytes[input.start + 3])
            offset = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for i in 0..<8 { length = length << 8 | UInt64(input.bytes[input.start + 2 + i]) }
            // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
            guard length >> 63 == 0 else { throw WebSocketProtocolError(.protocolError, "64-bit length with the high bit set") }
            offset = 10
        }
        if opcode.isControl {
            // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
            guard length <= 125 else { throw WebSocketProtocolError(.protocolError, "control frame longer than 125 bytes") }
            guard fin else { throw WebSocketProtocolError(.protocolError, "fragmented control frame") }
        } else {
            let already = fragmentOpcode == nil ? 0 : fragments.count
            guard length <= UInt64(maximumMessageSize - min(already, maximumMessageSize)) else {
                throw WebSocketProtocolError(.messageTooBig, "message exceeds \(maximumMessageSize) bytes")
            }
        }
        var mask: [UInt8] = []
        if masked {
            guard available >= offset + 4 else { return nil }
            mask = Array(input.bytes[(input.start + offset)..<(input.start + offset + 4)])
            offset += 4
        }
        let total = offset + Int(length)
        guard available >= total else { return nil }
        var payload = Array(input.bytes[(input.start + offset)..<(input.start + total)])
        if masked {
            for i in payload.indices { payload[i] ^= mask[i & 3] }
        }
        input.start += total
        return WebSocketFrame(fin: fin, opcode: opcode, payload: payload)
    }

    private mutating func handle(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> WebSocketEvent? {
        switch frame.opcode {
        case .ping:
            return .ping(frame.payload)
        case .pong:
            return .pong(frame.payload)
        case .close:
            let p = frame.payload
            if p.isEmpty { return .close(.noStatusReceived, "") }
            // RFC 6455 §5.5.1: a close body is a 2-byte code and an optional UTF-8 reason.
            guard p.count >= 2 else { throw WebSocketProtocolError(.protocolError, "close frame with a 1-byte body") }
            let code = WebSocketCloseCode(UInt16(p[0]) << 8 | UInt16(p[1]))
            guard code.isValidOnTheWire else { throw WebSocketProtocolError(.protocolError, "invalid close code \(code.rawValue)") }
            var v = UTF8Validator()
            guard v.feed(p.dropFirst(2)), v.isComplete else { throw WebSocketProtocolError(.invalidPayload, "close reason is not UTF-8") }
            return .close(code, String(decoding: p.dropFirst(2), as: UTF8.self))
        case .text, .binary:
            guard fragmentOpcode == nil else { throw WebSocketProtocolError(.protocolError, "new message inside a fragmented one") }
            if frame.opcode == .text {
                utf8 = UTF8Validator()
                guard utf8.feed(frame.payload) else { throw WebSocketProtocolError(.invalidPayload, "text is not UTF-8") }
            }
            if frame.fin {
                if frame.opcode == .text {
                    guard utf8.isComplete else { throw WebSocketProtocolError(.invalidPayload, "text is not UTF-8") }
                    return .text(String(decoding: frame.payload, as: UTF8.self))
                }
                return .binary(frame.payload)
            }
            fragmentOpcode = frame.opcode
            fragments = frame.payload
            return nil
        case .continuation:
            guard let opcode = fragmentOpcode else { throw WebSocketProtocolError(.protocolError, "continuation without a message") }
            if opcode == .text {
                guard utf8.feed(frame.payload) else { throw WebSocketProtocolError(.invalidPayload, "text is not UTF-8") }
            }
            fragments.append(contentsOf: frame.payload)
            guard frame.fin else { return nil }
            fragmentOpcode = nil
            let message = fragments
            fragments = []
            if opcode == .text {
                guard utf8.isComplete else { throw WebSocketProtocolError(.invalidPayload, "text is not UTF-8") }
                return .text(String(decoding: message, as: UTF8.self))
            }
            return .binary(message)
        default:
            throw WebSocketProtocolError(.protocolError, "unknown opcode")
        }
    }
}
