// Stdlib only (compiled into the fuzzer with the parser).

/// Decodes a chunked message body (RFC 9112 §7.1) incrementally, for both
/// requests and responses: chunk sizes with extensions, data, and trailer fields.
struct ChunkedBodyDecoder: Sendable {
    enum State: Sendable { case size, data(remaining: Int), dataEnd, trailers, done }

    private(set) var state: State = .size
    private(set) var trailers: [(String, String)] = []
    let maximumBody: Int
    let maximumTrailerBytes: Int

    init(maximumBody: Int, maximumTrailerBytes: Int = 16 * 1024) {
        self.maximumBody = maximumBody
        self.maximumTrailerBytes = maximumTrailerBytes
    }

    /// Consumes bytes from `buffer[start...]`, appending data to `body`.
    /// Returns true once the final chunk and the trailers have been read.
    mutating func decode(_ buffer: [UInt8], start: inout Int, body: inout [UInt8]) throws(HTTPParseError) -> Bool {
        while true {
            switch state {
            case .size:
                guard let line = try ChunkedBodyDecoder.takeLine(buffer, start: &start, limit: 1024) else { return false }
                // chunk-size [ chunk-ext ] CRLF; extensions are ignored.
                let sizePart = line.prefix { $0 != UInt8(ascii: ";") }
                let trimmed = sizePart.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
                guard !trimmed.isEmpty, trimmed.count <= 8 else { throw .malformedChunk }
                var size = 0
                for c in trimmed {
                    guard let v = HTTPRequest.hexValue(c) else { throw .malformedChunk }
                    size = size << 4 | Int(v)
                }
                if size == 0 {
                    state = .trailers
                } else {
                    guard body.count + size <= maximumBody else { throw .bodyTooLarge(limit: maximumBody) }
                    state = .data(remaining: size)
                }
            case .data(let remaining):
                let available = buffer.count - start
                guard available > 0 else { return false }
                let n = min(available, remaining)
                body.append(contentsOf: buffer[start..<(start + n)])
                start += n
                state = n == remaining ? .dataEnd : .data(remaining: remaining - n)
            case .dataEnd:
                guard buffer.count - start >= 2 else { return false }
                guard buffer[start] == 13, buffer[start + 1] == 10 else { throw .malformedChunk }
                start += 2
                state = .size
            case .trailers:
                // RFC 9112 §7.1.2: trailer fields end with an empty line.
                guard let line = try ChunkedBodyDecoder.takeLine(buffer, start: &start, limit: maximumTrailerBytes) else { return false }
                if line.isEmpty {
                    state = .done
                    return true
                }
                guard trailers.count < 100 else { throw .tooManyHeaders(limit: 100) }
                trailers.append(try HTTPRequestParser.parseField(line))
            case .done:
                return true
            }
        }
    }

    /// Takes one CRLF-terminated line (without the CRLF), or nil when incomplete.
    static func takeLine(_ buffer: [UInt8], start: inout Int, limit: Int) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        var i = start
        while i < buffer.count {
            if buffer[i] == 10 {
                guard i > start, buffer[i - 1] == 13 else { throw .bareLineFeed }
                let line = buffer[start..<(i - 1)]
                start = i + 1
                return line
            }
            i += 1
            if i - start > limit { throw .malformedChunk }
        }
        return nil
    }
}
