import IOCore
import Logging
import Synchronization
import TLS

/// A request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Why a client request failed.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case timedOut
    case connectionClosed
    case malformedResponse(HTTPParseError)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \(url)"
        case .timedOut: "request timed out"
        case .connectionClosed: "the server closed the connection before a complete response"
        case .malformedResponse(let e): "malformed response: \(e)"
        }
    }
}

/// An `http://` or `https://` URL split for a request.
public struct HTTPURL: Sendable, Equatable {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, at least `/`.
    public var target: String

    public init(_ string: String) throws(HTTPClientError) {
        let rest: Substring
        if string.hasPrefix("https://") {
            secure = true
            rest = string.dropFirst(8)
        } else if string.hasPrefix("http://") {
            secure = false
            rest = string.dropFirst(7)
        } else if string.hasPrefix("wss://") {
            secure = true
            rest = string.dropFirst(6)
        } else if string.hasPrefix("ws://") {
            secure = false
            rest = string.dropFirst(5)
        } else {
            throw .invalidURL(string)
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        target = path
        guard !authority.isEmpty, !authority.contains("@") else { throw .invalidURL(string) }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(string) }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = secure ? 443 : 80
            } else {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65_535).contains(p) else { throw .invalidURL(string) }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(p) else { throw .invalidURL(string) }
            port = p
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { throw .invalidURL(string) }
    }

    /// The `Host` header value (RFC 9110 §7.2): the port only when not the default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? h : "\(h):\(port)"
    }
}

/// An HTTP/1.1 client over TCP and TLS with keep-alive connection reuse per
/// host, connect and request timeouts, and chunked or Content-Length bodies.
/// Workers use it for Discord's REST API.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        public var tls: TLSConfiguration = .default
        public var connectTimeout: Duration = .seconds(10)
        public var requestTimeout: Duration = .seconds(30)
        public var maximumIdlePerHost = 8
        /// Idle connections older than this are not reused (servers close them anyway).
        public var idleTimeout: Duration = .seconds(50)
        /// Sent with every request unless the request sets them.
        public var defaultHeaders: HTTPHeaders = ["User-Agent": "botvisor"]
        public init() {}
    }

    struct Key: Hashable { var secure: Bool; var host: String; var port: Int }
    struct Idle { var stream: any ByteStream; var since: ContinuousClock.Instant }

    public let configuration: Configuration
    private let idle = Mutex<[Key: [Idle]]>([:])
    private let opened = Atomic<Int>(0)
    private let logger: Logger

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "http-client")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Connections opened so far (reuse shows as fewer connections than requests).
    public var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    /// Sends `request` and reads the whole response.
    public func send(_ request: HTTPClientRequest, timeout: Duration? = nil) async throws -> HTTPClientResponse {
        let url = try HTTPURL(request.url)
        let deadline = ContinuousClock.now + (timeout ?? configuration.requestTimeout)
        let key = Key(secure: url.secure, host: url.host, port: url.port)
        let bytes = serialize(request, url: url)
        // A pooled connection may have been closed by the server while idle: then try once more on a new one.
        for attempt in 0..<2 {
            let (stream, reused) = try await connection(for: key, url: url, deadline: deadline, fresh: attempt > 0)
            do {
                let (response, reusable) = try await exchange(bytes, method: request.method, on: stream, deadline: deadline)
                if reusable { checkIn(stream, key: key) } else { stream.close() }
                return response
            } catch let failure as StaleConnection where reused {
                stream.close()
                if failure.requestMayHaveBeenProcessed && !request.method.isIdempotent { throw HTTPClientError.connectionClosed }
                continue
            } catch is StaleConnection {
                stream.close()
                throw HTTPClientError.connectionClosed
            } catch is DeadlineExceeded {
                stream.close()
                throw HTTPClientError.timedOut
            } catch {
                stream.close()
                throw error
            }
        }
        throw HTTPClientError.connectionClosed
    }

    /// Closes idle connections.
    public func shutdown() {
        let all = idle.withLock { pool -> [Idle] in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for c in all { c.stream.close() }
    }

    private func connection(for key: Key, url: HTTPURL, deadline: Deadline, fresh: Bool) async throws -> (any ByteStream, Bool) {
        if !fresh {
            let now = ContinuousClock.now
            let pooled = idle.withLock { pool -> (any ByteStream)? in
                while var list = pool[key], let last = list.popLast() {
                    pool[key] = list
                    if now - last.since < configuration.idleTimeout { return last.stream }
                    last.stream.close()
                }
                return nil
            }
            if let pooled { return (pooled, true) }
        }
        let connectDeadline = min(deadline, .now + configuration.connectTimeout)
        do {
            let stream: any ByteStream
            if url.secure {
                stream = try await TLSStream.connect(host: url.host, port: url.port, configuration: configuration.tls, deadline: connectDeadline)
            } else {
                stream = try await SocketStream.connect(host: url.host, port: url.port, deadline: connectDeadline)
            }
            opened.add(1, ordering: .relaxed)
            return (stream, false)
        } catch is DeadlineExceeded {
            throw HTTPClientError.timedOut
        }
    }

    private func checkIn(_ stream: any ByteStream, key: Key) {
        let overflow = idle.withLock { pool -> (any ByteStream)? in
            var list = pool[key] ?? []
            guard list.count < configuration.maximumIdlePerHost else { return stream }
            list.append(Idle(stream: stream, since: .now))
            pool[key] = list
            return nil
        }
        overflow?.close()
    }

    private func serialize(_ request: HTTPClientRequest, url: HTTPURL) -> [UInt8] {
        var head = "\(request.method.rawValue) \(url.target) HTTP/1.1\r\n"
        if request.headers["Host"] == nil { head += "Host: \(url.hostHeader)\r\n" }
        for (name, value) in configuration.defaultHeaders where request.headers[name] == nil {
            head += "\(name): \(value)\r\n"
        }
        for (name, value) in request.headers where !name.caseInsensitiveEquals("Content-Length") {
            head += "\(name): \(value)\r\n"
        }
        if !request.body.isEmpty || [.post, .put, .patch].contains(request.method) {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }

    /// A reused connection failed before any response byte arrived.
    struct StaleConnection: Error {
        /// False when even the write failed, so the server cannot have seen the request.
        var requestMayHaveBeenProcessed: Bool
    }

    private func exchange(_ bytes: [UInt8], method: HTTPMethod, on stream: any ByteStream,
                          deadline: Deadline) async throws -> (HTTPClientResponse, Bool) {
        do {
            try await stream.write(bytes, deadline: deadline)
        } catch is DeadlineExceeded {
            throw DeadlineExceeded()
        } catch {
            throw StaleConnection(requestMayHaveBeenProcessed: false)
        }
        var parser = HTTPResponseParser()
        while true {
            do {
                if let response = try parser.next(requestMethod: method) {
                    let reusable = !response.headers.contains("Connection", token: "close")
                        && (response.version == "HTTP/1.1" || response.headers.contains("Connection", token: "keep-alive"))
                    return (response, reusable)
                }
            } catch {
                throw HTTPClientError.malformedResponse(error)
            }
            let n: Int
            do {
                n = try await parser.withWritableBuffer { try await stream.read(into: &$0, maxLength: 65_536, deadline: deadline) }
            } catch is DeadlineExceeded {
                throw DeadlineExceeded()
            } catch {
                if !parser.hasStarted { throw StaleConnection(requestMayHaveBeenProcessed: true) }
                throw HTTPClientError.connectionClosed
            }
            if n == 0 {
                do {
                    if let response = try parser.finish() { return (response, false) }
                } catch {
                    throw HTTPClientError.malformedResponse(error)
                }
                if !parser.hasStarted { throw StaleConnection(requestMayHaveBeenProcessed: true) }
                throw HTTPClientError.connectionClosed
            }
        }
    }
}

extension HTTPMethod {
    /// RFC 9110 §9.2.2.
    public var isIdempotent: Bool { [.get, .head, .put, .delete, .options].contains(self) }
}
