import IOCore

/// A response body: bytes known up front, or a stream written with chunked encoding.
public enum HTTPBody: Sendable {
    case bytes([UInt8])
    /// Produces the body piece by piece; the server sends it with `Transfer-Encoding: chunked`.
    case stream(@Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)

    public static let empty = HTTPBody.bytes([])
}

/// A response from a handler.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: HTTPBody
    /// For `101 Switching Protocols`: after the response head is written the
    /// server stops speaking HTTP and hands the connection and any bytes it had
    /// already read past the request to this closure.
    public var upgrade: (@Sendable (_ stream: any ByteStream, _ leftover: [UInt8]) async -> Void)?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: HTTPBody = .empty,
                upgrade: (@Sendable (any ByteStream, [UInt8]) async -> Void)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.upgrade = upgrade
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }
}
