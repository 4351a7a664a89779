import Crypto
import HTTP
import IOCore
import TLS

/// The opening handshake (RFC 6455 §4).
public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).
    public static func acceptValue(for key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// Validates an upgrade request; the failure is an HTTP response to send instead.
    public static func validate(_ request: HTTPRequest) -> Result<String, WebSocketHandshakeError> {
        guard request.method == .get else { return .failure(.init(status: .methodNotAllowed, message: "WebSocket upgrades use GET")) }
        guard request.version == "HTTP/1.1" else { return .failure(.init(status: .badRequest, message: "WebSocket needs HTTP/1.1")) }
        guard request.headers.contains("Upgrade", token: "websocket"), request.headers.contains("Connection", token: "upgrade") else {
            return .failure(.init(status: HTTPStatus(code: 426), message: "expected Upgrade: websocket"))
        }
        guard request.headers["Sec-WebSocket-Version"] == "13" else {
            return .failure(.init(status: HTTPStatus(code: 426), message: "only WebSocket version 13 is supported", version: true))
        }
        guard let key = request.headers["Sec-WebSocket-Key"], let decoded = Base64.decode(key), decoded.count == 16 else {
            return .failure(.init(status: .badRequest, message: "Sec-WebSocket-Key must be 16 bytes in base64"))
        }
        return .success(key)
    }

    /// The server side of an upgrade: a 101 response whose `upgrade` runs
    /// `handler` with the connection, or an error response.
    public static func upgradeResponse(for request: HTTPRequest, maximumMessageSize: Int = 1 << 20,
                                       handler: @escaping @Sendable (WebSocketConnection) async -> Void) -> HTTPResponse {
        switch validate(request) {
        case .failure(let error):
            var headers: HTTPHeaders = ["Content-Type": "application/json"]
            if error.version { headers.add("Sec-WebSocket-Version", "13") }
            return HTTPResponse(status: error.status, headers: headers,
                                bytes: Array("{\"error\":{\"code\":\"BAD_WEBSOCKET_UPGRADE\",\"message\":\"\(error.message)\"}}".utf8))
        case .success(let key):
            return HTTPResponse(status: .switchingProtocols,
                                headers: ["Upgrade": "websocket", "Sec-WebSocket-Accept": acceptValue(for: key)],
                                upgrade: { stream, leftover in
                                    let connection = WebSocketConnection(stream: stream, role: .server, leftover: leftover,
                                                                         maximumMessageSize: maximumMessageSize)
                                    await handler(connection)
                                    connection.abort()
                                })
        }
    }
}

/// An upgrade request that cannot be accepted.
public struct WebSocketHandshakeError: Error, Equatable {
    public var status: HTTPStatus
    public var message: String
    public var version = false
}

/// Why a client could not open a WebSocket.
public enum WebSocketClientError: Error, Equatable, CustomStringConvertible {
    case unexpectedStatus(Int)
    case badAccept
    case malformedResponse

    public var description: String {
        switch self {
        case .unexpectedStatus(let code): "WebSocket upgrade refused with HTTP \(code)"
        case .badAccept: "WebSocket upgrade answered with a wrong Sec-WebSocket-Accept"
        case .malformedResponse: "malformed WebSocket upgrade response"
        }
    }
}

/// Opens client connections to `ws://` and `wss://` URLs.
public enum WebSocketClient {
    public static func connect(url: String, headers: HTTPHeaders = [:], tls: TLSConfiguration = .default,
                               maximumMessageSize: Int = 1 << 20, deadline: Deadline = .now + .seconds(10)) async throws -> WebSocketConnection {
        let parsed = try HTTPURL(url)
        let stream: any ByteStream
        if parsed.secure {
            stream = try await TLSStream.connect(host: parsed.host, port: parsed.port, configuration: tls, deadline: deadline)
        } else {
            stream = try await SocketStream.connect(host: parsed.host, port: parsed.port, deadline: deadline)
        }
        do {
            return try await handshake(over: stream, url: parsed, headers: headers, maximumMessageSize: maximumMessageSize, deadline: deadline)
        } catch {
            stream.close()
            throw error
        }
    }

    static func handshake(over stream: any ByteStream, url: HTTPURL, headers: HTTPHeaders, maximumMessageSize: Int,
                          deadline: Deadline) async throws -> WebSocketConnection {
        var keyBytes = [UInt8](repeating: 0, count: 16)
        for i in keyBytes.indices { keyBytes[i] = UInt8.random(in: 0...255) }
        let key = Base64.encode(keyBytes)
        var head = "GET \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try await stream.write(Array(head.utf8), deadline: deadline)
        var parser = HTTPResponseParser()
        while true {
            let response: HTTPClientResponse?
            do { response = try parser.next(requestMethod: .get) } catch { throw WebSocketClientError.malformedResponse }
            if let response {
                guard response.status.code == 101 else { throw WebSocketClientError.unexpectedStatus(response.status.code) }
                guard response.headers["Sec-WebSocket-Accept"] == WebSocketHandshake.acceptValue(for: key) else {
                    throw WebSocketClientError.badAccept
                }
                return WebSocketConnection(stream: stream, role: .client, leftover: parser.leftover, maximumMessageSize: maximumMessageSize)
            }
            let n = try await parser.withWritableBuffer { try await stream.read(into: &$0, maxLength: 16_384, deadline: deadline) }
            if n == 0 { throw WebSocketClientError.malformedResponse }
        }
    }
}
