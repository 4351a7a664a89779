// libFuzzer target for WebSocketFrameDecoder. Built by Fuzz/run.sh with
// Sources/WebSocket/WebSocketFrame.swift Sources/WebSocket/UTF8Validator.swift
// Sources/WebSocket/WebSocketFrameDecoder.swift

/// Decodes the input as a client and as a server, whole and in splits; the
/// events and the error must not depend on how the bytes were split, text
/// must be valid UTF-8, and messages must respect the size limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrameDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let role: WebSocketFrameDecoder.Role = first & 1 == 0 ? .client : .server
    let limit = 1024

    func run(step: Int) -> ([WebSocketEvent], WebSocketProtocolError?) {
        var decoder = WebSocketFrameDecoder(role: role, maximumMessageSize: limit)
        var out: [WebSocketEvent] = []
        var offset = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            decoder.feed(bytes[offset..<end])
            offset = end
            do {
                while let e = try decoder.next() { out.append(e) }
            } catch {
                return (out, error)
            }
        }
        return (out, nil)
    }

    let whole = run(step: bytes.count)
    let split = run(step: Int(first >> 1 % 8) + 1)
    precondition(whole.0 == split.0 && whole.1 == split.1, "splitting changed the outcome")
    for event in whole.0 {
        switch event {
        case .text(let s): precondition(s.utf8.count <= limit && String(validating: Array(s.utf8), as: UTF8.self) != nil, "bad text")
        case .binary(let b): precondition(b.count <= limit, "message over the limit")
        case .ping(let p), .pong(let p): precondition(p.count <= 125, "control payload over 125 bytes")
        case .close(let code, _): precondition(code.isValidOnTheWire || code == .noStatusReceived, "invalid close code")
        }
    }
    if let error = whole.1 {
        precondition([1002, 1007, 1009].contains(error.code.rawValue), "unexpected close code \(error.code.rawValue)")
    }
    return 0
}
