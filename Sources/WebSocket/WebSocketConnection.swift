import IOCore
import Logging

/// A complete message.
public enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// The connection ended: the close code and reason, and whether the peer started the close.
public struct WebSocketClosed: Error, Equatable, CustomStringConvertible {
    public var code: WebSocketCloseCode
    public var reason: String
    /// True when the peer sent the close frame (or dropped the connection), false when we closed.
    public var byPeer: Bool

    public var description: String { "websocket closed with \(code.rawValue)\(reason.isEmpty ? "" : " (\(reason))")\(byPeer ? " by the peer" : "")" }
}

/// One WebSocket connection (RFC 6455) for either side: send and receive
/// messages, automatic pongs, the close handshake, and abrupt aborts.
/// One task receives; any task may send (frames never interleave).
public actor WebSocketConnection {
    public nonisolated let stream: any ByteStream
    public nonisolated let role: WebSocketFrameDecoder.Role
    private var decoder: WebSocketFrameDecoder
    private var pending: [UInt8]
    private let writeLock = AsyncLock()
    private var closeSent = false
    /// A task is inside `receive`: only it may read the stream.
    private var receiving = false
    /// Receivers take turns (a reader loop and `close` waiting for the peer's close frame).
    private let readLock = AsyncLock()
    private var closed: WebSocketClosed?
    /// What `receiveAvailable` decoded past the messages it returned (a control frame, or the protocol
    /// error of a frame it consumed): the next `receive` takes it first.
    private var held: Result<WebSocketEvent, WebSocketProtocolError>?
    /// When the last pong arrived, and its payload.
    public private(set) var lastPong: (at: ContinuousClock.Instant, payload: [UInt8])?

    public init(stream: any ByteStream, role: WebSocketFrameDecoder.Role, leftover: [UInt8] = [], maximumMessageSize: Int = 1 << 20) {
        self.stream = stream
        self.role = role
        self.decoder = WebSocketFrameDecoder(role: role, maximumMessageSize: maximumMessageSize)
        self.pending = leftover
    }

    // MARK: Sending

    public func send(text: String, deadline: Deadline? = nil) async throws {
        try await send(WebSocketFrame(opcode: .text, payload: Array(text.utf8)), deadline: deadline)
    }

    public func send(binary: [UInt8], deadline: Deadline? = nil) async throws {
        try await send(WebSocketFrame(opcode: .binary, payload: binary), deadline: deadline)
    }

    public func ping(_ payload: [UInt8] = [], deadline: Deadline? = nil) async throws {
        try await send(WebSocketFrame(opcode: .ping, payload: Array(payload.prefix(125))), deadline: deadline)
    }

    /// Sends a message split into frames of at most `fragmentSize` bytes.
    public func send(fragmented message: WebSocketMessage, fragmentSize: Int, deadline: Deadline? = nil) async throws {
        let (opcode, bytes): (WebSocketOpcode, [UInt8]) = switch message {
        case .text(let s): (.text, Array(s.utf8))
        case .binary(let b): (.binary, b)
        }
        var frames: [WebSocketFrame] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(1, fragmentSize))
            frames.append(WebSocketFrame(fin: end == bytes.count, opcode: offset == 0 ? opcode : .continuation, payload: Array(bytes[offset..<end])))
            offset = end
        } while offset < bytes.count
        await writeLock.lock()
        defer { writeLock.unlock() }
        for frame in frames { try await write(frame, deadline: deadline) }
    }

    /// Writes frames encoded beforehand (`WebSocketFrame.encoded()`), as many as `bytes` holds, in one
    /// write: a server sending the same message to many peers encodes it once, and a backlog goes out in
    /// one system call. Server side only (a client masks every frame afresh).
    public func send(encoded bytes: [UInt8], deadline: Deadline? = nil) async throws {
        precondition(role == .server, "a client masks each frame: send frames, not bytes")
        await writeLock.lock()
        defer { writeLock.unlock() }
        if let closed { throw closed }
        if closeSent { throw WebSocketClosed(code: .normal, reason: "closing", byPeer: false) }
        try await stream.write(bytes, deadline: deadline)
    }

    public func send(_ frame: WebSocketFrame, deadline: Deadline? = nil) async throws {
        await writeLock.lock()
        defer { writeLock.unlock() }
        try await write(frame, deadline: deadline)
    }

    private func write(_ frame: WebSocketFrame, deadline: Deadline?) async throws {
        if let closed { throw closed }
        if closeSent && frame.opcode != .close { throw WebSocketClosed(code: .normal, reason: "closing", byPeer: false) }
        try await stream.write(wireBytes(frame), deadline: deadline)
    }

    private func wireBytes(_ frame: WebSocketFrame) -> [UInt8] {
        guard role == .client else { return frame.encoded() }
        // RFC 6455 §5.3: a fresh unpredictable mask for every frame.
        let m = UInt32.random(in: 0...UInt32.max)
        return frame.encoded(mask: (UInt8(m >> 24), UInt8((m >> 16) & 0xFF), UInt8((m >> 8) & 0xFF), UInt8(m & 0xFF)))
    }

    // MARK: Receiving

    /// The next message. Pings are answered and pongs recorded here. Throws
    /// `WebSocketClosed` once the connection is closed, with the code.
    public func receive(deadline: Deadline? = nil) async throws -> WebSocketMessage {
        await readLock.lock()
        receiving = true
        defer {
            receiving = false
            readLock.unlock()
        }
        while true {
            if let closed { throw closed }
            if !pending.isEmpty {
                decoder.feed(pending)
                pending.removeAll()
            }
            let event: WebSocketEvent?
            do {
                if let taken = held {
                    held = nil
                    event = try taken.get()
                } else {
                    event = try decoder.next()
                }
            } catch {
                // RFC 6455 §7.1.7: fail the connection with the matching code.
                await finish(code: error.code, reason: error.reason, byPeer: false, sendClose: true)
                throw closed!
            }
            switch event {
            case .text(let s): return .text(s)
            case .binary(let b): return .binary(b)
            case .ping(let payload):
                try? await send(WebSocketFrame(opcode: .pong, payload: payload))
            case .pong(let payload):
                lastPong = (.now, payload)
            case .close(let code, let reason):
                // Echo the close (RFC 6455 §5.5.1) unless we started it, then end the TCP connection.
                await finish(code: code, reason: reason, byPeer: !closeSent, sendClose: !closeSent, echo: code)
                throw closed!
            case nil:
                var chunk: [UInt8] = []
                let n: Int
                do {
                    n = try await stream.read(into: &chunk, maxLength: 65_536, deadline: deadline)
                } catch is DeadlineExceeded {
                    throw DeadlineExceeded()
                } catch {
                    await finish(code: .abnormalClosure, reason: "connection lost", byPeer: true, sendClose: false)
                    throw closed!
                }
                if n == 0 {
                    await finish(code: .abnormalClosure, reason: "connection closed without a close frame", byPeer: true, sendClose: false)
                    throw closed!
                }
                decoder.feed(chunk)
            }
        }
    }

    /// The next message, as `receive` gives it, and after it up to `limit - 1` more that are already
    /// decoded or buffered: one call (and one wake-up of whoever waits for them) for a backlog of
    /// messages instead of one each. Control frames and protocol errors are left for the next call.
    public func receiveAvailable(limit: Int, deadline: Deadline? = nil) async throws -> [WebSocketMessage] {
        var messages = [try await receive(deadline: deadline)]
        // No suspension from here on: no other receiver runs in between.
        while messages.count < limit, closed == nil, held == nil {
            let event: WebSocketEvent?
            do { event = try decoder.next() } catch {
                held = .failure(error)
                break
            }
            switch event {
            case .text(let s): messages.append(.text(s))
            case .binary(let b): messages.append(.binary(b))
            case .some(let other): held = .success(other)
            case nil: return messages
            }
        }
        return messages
    }

    // MARK: Closing

    /// Starts the close handshake: sends a close frame, and closes the TCP
    /// connection once the peer answers (seen by `receive`) or at `deadline`.
    public func close(code: WebSocketCloseCode = .normal, reason: String = "", deadline: Deadline = .now + .seconds(2)) async {
        guard closed == nil, !closeSent else { return }
        closeSent = true
        do {
            await writeLock.lock()
            defer { writeLock.unlock() }
            try await write(WebSocketFrame(opcode: .close, payload: WebSocketFrame.closePayload(code: code, reason: reason)), deadline: deadline)
        } catch {
            await finish(code: code, reason: reason, byPeer: false, sendClose: false)
            return
        }
        // Wait for the peer's close frame: a running `receive` sees it; otherwise read for it here.
        while closed == nil && ContinuousClock.now < deadline {
            if receiving {
                try? await Reactor.shared.sleep(until: min(deadline, .now + .milliseconds(5)))
            } else {
                do { _ = try await receive(deadline: deadline) } catch { break }
            }
        }
        if closed == nil { await finish(code: code, reason: reason, byPeer: false, sendClose: false) }
    }

    /// Drops the TCP connection without a close frame (the peer sees 1006).
    public nonisolated func abort() {
        stream.close()
    }

    public var closeCode: WebSocketCloseCode? { closed?.code }

    private func finish(code: WebSocketCloseCode, reason: String, byPeer: Bool, sendClose: Bool, echo: WebSocketCloseCode? = nil) async {
        guard closed == nil else { return }
        closed = WebSocketClosed(code: code, reason: reason, byPeer: byPeer)
        if sendClose && !closeSent {
            closeSent = true
            let wire = echo.map { $0.isValidOnTheWire ? $0 : .normal } ?? code
            let payload = echo == .noStatusReceived ? [] : WebSocketFrame.closePayload(code: wire, reason: echo == nil ? reason : "")
            await writeLock.lock()
            try? await stream.write(wireBytes(WebSocketFrame(opcode: .close, payload: payload)), deadline: .now + .seconds(2))
            writeLock.unlock()
        }
        // RFC 6455 §7.1.1: the server closes TCP first; a client gives it a moment, then closes anyway.
        if role == .client && byPeer {
            await stream.shutdownWrite()
        }
        stream.close()
    }
}
