// Stdlib only.
#if canImport(IOCore)
import IOCore  // ReadBuffer; the fuzzer compiles ReadBuffer.swift in instead
#endif

/// A response as the client returns it, with its whole body read.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPStatus
    public var version: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An incremental HTTP/1.1 response parser (RFC 9112): status line, fields,
/// and the body framing of §6.3 (no body for HEAD, 1xx, 204 and 304;
/// chunked; Content-Length; otherwise until the connection closes).
public struct HTTPResponseParser: Sendable {
    enum State: Sendable {
        case head
        case body(HTTPClientResponse, remaining: Int)
        case chunked(HTTPClientResponse, ChunkedBodyDecoder)
        case untilClose(HTTPClientResponse)
    }

    public var maximumHeaderBytes = 64 * 1024
    public var maximumBody = 64 * 1024 * 1024
    private var input = ReadBuffer(compactionThreshold: 4096)
    private var state: State = .head

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        compact()
        input.append(contentsOf: bytes)
    }

    public mutating func withWritableBuffer<R>(_ body: (inout [UInt8]) async throws -> R) async rethrows -> R {
        compact()
        return try await input.withWritableBytes(body)
    }

    private mutating func compact() {
        input.compact()
    }

    /// Bytes received past the last complete response (after a 101, the new protocol's first bytes).
    public var leftover: [UInt8] { input.leftover }

    /// Whether any byte of a response has arrived.
    public var hasStarted: Bool {
        if case .head = state { return input.start < input.bytes.count }
        return true
    }

    /// True when the body runs until the connection closes (the connection cannot be reused).
    public var readsUntilClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The next complete response to a request with `method`, or nil when more bytes are needed.
    public mutating func next(requestMethod method: HTTPMethod) throws(HTTPParseError) -> HTTPClientResponse? {
        while true {
            switch state {
            case .head:
                guard let response = try parseHead() else { return nil }
                let code = response.status.code
                // RFC 9112 §6.3 rule 1: HEAD, 1xx, 204 and 304 responses end at the head.
                if method == .head || (100..<200).contains(code) || code == 204 || code == 304 {
                    if (100..<200).contains(code) && code != 101 { continue } // interim response: wait for the final one
                    return response
                }
                if let te = response.headers["Transfer-Encoding"] {
                    guard te.split(separator: ",").last.map({ $0.trimmingSpaces().caseInsensitiveEquals("chunked") }) == true else {
                        state = .untilClose(response)
                        continue
                    }
                    state = .chunked(response, ChunkedBodyDecoder(maximumBody: maximumBody))
                } else if let cl = response.headers["Content-Length"] {
                    guard let length = Int(cl.trimmingSpaces()), length >= 0 else { throw .invalidContentLength }
                    guard length <= maximumBody else { throw .bodyTooLarge(limit: maximumBody) }
                    if length == 0 { return response }
                    state = .body(response, remaining: length)
                } else {
                    state = .untilClose(response)
                }
            case .body(var response, let remaining):
                guard input.bytes.count - input.start >= remaining else { return nil }
                state = .head
                response.body.append(contentsOf: input.bytes[input.start..<(input.start + remaining)])
                input.start += remaining
                return response
            case .chunked(var response, var decoder):
                state = .head
                guard try decoder.decode(input.bytes, start: &input.start, body: &response.body) else {
                    state = .chunked(response, decoder)
                    return nil
                }
                for (name, value) in decoder.trailers { response.headers.add(name, value) }
                return response
            case .untilClose:
                return nil
            }
        }
    }

    /// The connection closed: completes a read-until-close body; nil otherwise.
    public mutating func finish() throws(HTTPParseError) -> HTTPClientResponse? {
        guard case .untilClose(var response) = state else { return nil }
        state = .head
        response.body.append(contentsOf: input.bytes[input.start...])
        guard response.body.count <= maximumBody else { throw .bodyTooLarge(limit: maximumBody) }
        input.start = input.bytes.count
        return response
    }

    private mutating func parseHead() throws(HTTPParseError) -> HTTPClientResponse? {
        var end: Int?
        var i = input.start + 3
        while i < input.bytes.count {
            if input.bytes[i] == 10 && input.bytes[i - 1] == 13 && input.bytes[i - 2] == 10 && input.bytes[i - 3] == 13 {
                end = i + 1
                break
            }
            i += 1
        }
        guard let end else {
            if input.bytes.count - input.start > maximumHeaderBytes { throw .headersTooLarge(limit: maximumHeaderBytes) }
            return nil
        }
        let head = input.bytes[input.start..<(end - 4)]
        input.start = end
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 13 ? line.dropLast() : line
        }
        let statusLine = lines.removeFirst()
        // RFC 9112 §4: HTTP-version SP status-code SP [ reason-phrase ]
        let parts = statusLine.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)), parts[1].count == 3,
              parts[1].allSatisfy(isDigit), let code = Int(String(decoding: parts[1], as: UTF8.self)) else {
            throw .malformedRequestLine
        }
        let reason = parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : ""
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            let (name, value) = try HTTPRequestParser.parseField(line)
            headers.add(name, value)
        }
        return HTTPClientResponse(status: HTTPStatus(code: code, reason: reason), version: String(decoding: parts[0], as: UTF8.self),
                                  headers: headers, body: [])
    }
}
