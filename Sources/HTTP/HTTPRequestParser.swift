// Stdlib only (the fuzzer builds this file with HTTPTypes.swift and HTTPParseError.swift).
#if canImport(IOCore)
import IOCore  // ReadBuffer; the fuzzer compiles ReadBuffer.swift in instead
#endif

/// An incremental HTTP/1.1 request parser (RFC 9112): feed it bytes as they
/// arrive, take complete requests out. Pipelined bytes after one request stay
/// for the next. A pure state machine: no I/O, no clock.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable {
        public var maximumRequestLine = 8 * 1024
        public var maximumHeaderBytes = 16 * 1024
        public var maximumHeaderCount = 100
        public var maximumBody = 1024 * 1024
        public init() {}
    }

    enum State: Sendable {
        case head
        case body(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, ChunkedBodyDecoder)
    }

    public let limits: Limits
    private var input = ReadBuffer(compactionThreshold: 4096)
    /// How far the search for the end of the head has looked.
    private var scanned = 0
    private var state: State = .head
    /// The head of a request whose body has not fully arrived.
    public var pendingHead: HTTPRequest? {
        switch state {
        case .head: nil
        case .body(let request, _), .chunked(let request, _): request
        }
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        compact()
        input.append(contentsOf: bytes)
    }

    /// Appends bytes by reading directly into the parser's buffer.
    public mutating func withWritableBuffer<R>(_ body: (inout [UInt8]) async throws -> R) async rethrows -> R {
        compact()
        return try await input.withWritableBytes(body)
    }

    /// Drops the read buffer's storage while no byte of a next request has arrived (an idle connection).
    public mutating func releaseIdleStorage() {
        guard isIdle, input.bytes.capacity > 0 else { return }
        input = ReadBuffer(compactionThreshold: input.compactionThreshold)
        scanned = 0
    }

    /// True when no byte of a next request has arrived.
    public var isIdle: Bool {
        if case .head = state { return input.start == input.bytes.count }
        return false
    }

    /// Bytes received past the last complete request (for a protocol upgrade).
    public var leftover: [UInt8] { input.leftover }

    private mutating func compact() {
        scanned = max(0, scanned - input.compact())
    }

    /// The next complete request, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .head:
                guard let request = try parseHead() else { return nil }
                try beginBody(request)
                if case .head = state { return request }
            case .body(var request, let remaining):
                let available = input.bytes.count - input.start
                guard available >= remaining else { return nil }
                state = .head
                request.body.append(contentsOf: input.bytes[input.start..<(input.start + remaining)])
                input.start += remaining
                return request
            case .chunked(var request, var decoder):
                // Drop the state's reference first, so appending to the body never copies it.
                state = .head
                let done = try decoder.decode(input.bytes, start: &input.start, body: &request.body)
                guard done else {
                    state = .chunked(request, decoder)
                    return nil
                }
                for (name, value) in decoder.trailers { request.headers.add(name, value) }
                return request
            }
        }
    }

    private mutating func parseHead() throws(HTTPParseError) -> HTTPRequest? {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        while input.bytes.count - input.start >= 2, input.bytes[input.start] == 13, input.bytes[input.start + 1] == 10 { input.start += 2 }
        if scanned < input.start { scanned = input.start }
        // The limits are checked the same way however the bytes were split (the fuzzer checks this):
        // a request line is too long when no LF appears within the limit.
        let pending = input.bytes.count - input.start
        if pending > limits.maximumRequestLine, !input.bytes[input.start..<(input.start + limits.maximumRequestLine)].contains(10) {
            throw .requestLineTooLong(limit: limits.maximumRequestLine)
        }
        var end: Int?
        var i = max(scanned, input.start + 3)
        while i < input.bytes.count {
            if input.bytes[i] == 10 && input.bytes[i - 1] == 13 && input.bytes[i - 2] == 10 && input.bytes[i - 3] == 13 {
                end = i + 1
                break
            }
            i += 1
        }
        guard let end else {
            scanned = max(input.start, input.bytes.count - 3)
            if pending > limits.maximumHeaderBytes + 4 { throw .headersTooLarge(limit: limits.maximumHeaderBytes) }
            return nil
        }
        guard end - input.start <= limits.maximumHeaderBytes + 4 else { throw .headersTooLarge(limit: limits.maximumHeaderBytes) }
        let head = input.bytes[input.start..<(end - 4)]
        input.start = end
        scanned = end

        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for j in head.indices where head[j] == 10 {
            guard j > lineStart, head[j - 1] == 13 else { throw .bareLineFeed }
            lines.append(head[lineStart..<(j - 1)])
            lineStart = j + 1
        }
        lines.append(head[lineStart...])
        if lines[0].contains(13) { throw .malformedRequestLine }
        guard lines[0].count <= limits.maximumRequestLine else { throw .requestLineTooLong(limit: limits.maximumRequestLine) }

        let (method, target, version) = try HTTPRequestParser.parseRequestLine(lines[0])
        var headers = HTTPHeaders()
        guard lines.count - 1 <= limits.maximumHeaderCount else { throw .tooManyHeaders(limit: limits.maximumHeaderCount) }
        for line in lines.dropFirst() {
            // RFC 9112 §5.2: obs-fold in a request is rejected with 400.
            if let first = line.first, first == 32 || first == 9 { throw .obsoleteLineFolding }
            if line.contains(13) { throw .invalidHeader("bare CR") }
            let (name, value) = try HTTPRequestParser.parseField(line)
            headers.add(name, value)
        }
        return HTTPRequest(method: HTTPMethod(method), target: target, version: version, headers: headers)
    }

    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String, String) {
        // RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
        let parts = line.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].allSatisfy(isTokenChar) else {
            throw .malformedRequestLine
        }
        // The target has no whitespace or control characters (RFC 3986 characters only).
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .malformedRequestLine }
        let version = parts[2]
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)),
              isDigit(version[version.startIndex + 5]), version[version.startIndex + 6] == UInt8(ascii: "."),
              isDigit(version[version.startIndex + 7]) else {
            throw .malformedRequestLine
        }
        let versionString = String(decoding: version, as: UTF8.self)
        guard versionString == "HTTP/1.1" || versionString == "HTTP/1.0" else { throw .unsupportedVersion(versionString) }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), versionString)
    }

    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .invalidHeader("no colon") }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else { throw .invalidHeader("bad field name") }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 32 || f == 9 { value.removeFirst() }
        while let l = value.last, l == 32 || l == 9 { value.removeLast() }
        // RFC 9110 §5.5: field values are VCHAR, SP, HTAB and obs-text; no other controls.
        guard value.allSatisfy({ $0 == 9 || $0 >= 32 && $0 != 127 }) else { throw .invalidHeader("control character in value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private mutating func beginBody(_ request: HTTPRequest) throws(HTTPParseError) {
        let hosts = request.headers.values("Host")
        if request.version == "HTTP/1.1" && hosts.isEmpty { throw .missingHost }
        if hosts.count > 1 { throw .duplicateHost }
        let transferEncodings = request.headers.values("Transfer-Encoding")
        let contentLengths = request.headers.values("Content-Length")
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: TE with Content-Length is a smuggling vector; reject.
            guard contentLengths.isEmpty else { throw .conflictingFraming }
            guard request.version == "HTTP/1.1" else { throw .conflictingFraming }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces().lowercased() }
            guard codings.last == "chunked" else { throw .chunkedNotFinal }
            if let other = codings.dropLast().first { throw .unsupportedTransferCoding(other) }
            state = .chunked(request, ChunkedBodyDecoder(maximumBody: limits.maximumBody, maximumTrailerBytes: limits.maximumHeaderBytes))
            return
        }
        if !contentLengths.isEmpty {
            // RFC 9110 §8.6: a list of identical values may be treated as one; differing values are an error.
            let values = contentLengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingSpaces() }
            guard let first = values.first, values.allSatisfy({ $0 == first }) else { throw .conflictingFraming }
            guard !first.isEmpty, first.count <= 18, first.utf8.allSatisfy(isDigit), let length = Int(first) else {
                throw .invalidContentLength
            }
            guard length <= limits.maximumBody else { throw .bodyTooLarge(limit: limits.maximumBody) }
            if length > 0 {
                var r = request
                r.body.reserveCapacity(length)
                state = .body(r, remaining: length)
            }
        }
    }

    /// Whether `request` keeps the connection open after its response (RFC 9112 §9.3).
    public static func keepsAlive(_ request: HTTPRequest) -> Bool {
        if request.headers.contains("Connection", token: "close") { return false }
        if request.version == "HTTP/1.0" { return request.headers.contains("Connection", token: "keep-alive") }
        return true
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

/// RFC 9110 §5.6.2 tchar.
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
         UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
         UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}
