// Stdlib only (compiled into the fuzzer with the parser).

/// Why a request could not be parsed, and the status the server answers with
/// before it closes the connection.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case requestLineTooLong(limit: Int)
    case headersTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    case bodyTooLarge(limit: Int)
    case malformedRequestLine
    case unsupportedVersion(String)
    case invalidHeader(String)
    case obsoleteLineFolding
    case bareLineFeed
    case missingHost
    case duplicateHost
    case conflictingFraming
    case invalidContentLength
    case unsupportedTransferCoding(String)
    case chunkedNotFinal
    case malformedChunk

    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headersTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .payloadTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferCoding: .notImplemented
        default: .badRequest
        }
    }

    public var description: String {
        switch self {
        case .requestLineTooLong(let n): "request line longer than \(n) bytes"
        case .headersTooLarge(let n): "header section larger than \(n) bytes"
        case .tooManyHeaders(let n): "more than \(n) header fields"
        case .bodyTooLarge(let n): "body larger than \(n) bytes"
        case .malformedRequestLine: "malformed request line"
        case .unsupportedVersion(let v): "unsupported HTTP version \(v)"
        case .invalidHeader(let why): "invalid header field: \(why)"
        case .obsoleteLineFolding: "obsolete line folding"
        case .bareLineFeed: "line ending without CR"
        case .missingHost: "HTTP/1.1 request without Host"
        case .duplicateHost: "more than one Host"
        case .conflictingFraming: "both Transfer-Encoding and Content-Length, or differing Content-Length values"
        case .invalidContentLength: "invalid Content-Length"
        case .unsupportedTransferCoding(let c): "unsupported transfer coding \(c)"
        case .chunkedNotFinal: "chunked is not the final transfer coding"
        case .malformedChunk: "malformed chunked body"
        }
    }
}
