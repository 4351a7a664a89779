import IOCore
import Logging
import Synchronization
import TLS

/// Something that answers HTTP requests: a router, a middleware chain, a closure.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
    /// Whether some requests can be answered by `respondImmediately`: then a plain-text connection is served
    /// on the reactor thread, and a request it answers costs no hop to Swift's cooperative pool.
    var answersImmediately: Bool { get }
    /// The response, computed without suspending and cheaply (it runs on the reactor thread), or nil to take
    /// `respond(to:)` on the cooperative pool.
    func respondImmediately(to request: HTTPRequest) -> HTTPResponse?
}

extension HTTPResponder {
    public var answersImmediately: Bool { false }
    public func respondImmediately(to request: HTTPRequest) -> HTTPResponse? { nil }
}

/// A closure as a responder.
public struct ClosureResponder: HTTPResponder {
    let body: @Sendable (HTTPRequest) async -> HTTPResponse
    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) { self.body = body }
    public func respond(to request: HTTPRequest) async -> HTTPResponse { await body(request) }
}

/// An HTTP/1.1 server: one task per connection in a task group, keep-alive,
/// request framing and limits from `HTTPRequestParser`, deadlines against
/// slow clients, and a graceful shutdown that lets in-flight requests finish.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var limits = HTTPRequestParser.Limits()
        /// A request head must arrive completely within this time of its first byte (slowloris).
        public var headTimeout: Duration = .seconds(10)
        /// Each read of a request body must make progress within this time.
        public var bodyReadTimeout: Duration = .seconds(30)
        /// A keep-alive connection with no request in progress is closed after this time.
        public var idleTimeout: Duration = .seconds(60)
        /// Writing a response must make progress within this time.
        public var writeTimeout: Duration = .seconds(30)
        /// At shutdown, in-flight requests get this long before connections are closed.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// Serve HTTPS with this certificate (the handshake must finish within `headTimeout`).
        public var tls: TLSServerContext?
        /// Connections served at once. One past it is answered `503` with `Retry-After` and closed at once, so a
        /// flood holds at most this many descriptors and buffers (reliability review, rows 4d and 4e).
        public var maxConnections = 1024
        /// What a refused connection is told to wait before trying again.
        public var retryAfter: Duration = .seconds(1)
        /// Once the connections open fall back to a quarter of a peak at least this high, freed heap is given
        /// back to the kernel (`malloc_trim`): a flood's memory does not stay resident (review row 4c).
        public var trimAfterPeak = 64
        /// With a responder that `answersImmediately`, up to this many plain-text connections at once are served
        /// on the reactor thread (a cheap route's request then costs no thread hand-off); the rest, and every
        /// connection past them, on the cooperative pool, so that many busy clients still get every core.
        public var reactorConnections = 4
        public init() {}
    }

    public let listener: SocketListener
    public let configuration: Configuration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let connections = Mutex<ConnectionTable>(ConnectionTable())
    private let shuttingDown = Atomic<Bool>(false)
    private let onReactor = Atomic<Int>(0)

    struct ConnectionTable {
        var nextID = 0
        var accepted = 0
        var refused = 0
        /// The most connections open at once since memory was last given back.
        var peak = 0
        var entries: [Int: (stream: any ByteStream, busy: Bool)] = [:]
    }

    public init(listener: SocketListener, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "http"),
                responder: any HTTPResponder) {
        self.listener = listener
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    public convenience init(host: String = "127.0.0.1", port: Int, configuration: Configuration = Configuration(),
                            logger: Logger = Logger(label: "http"), responder: any HTTPResponder) throws {
        self.init(listener: try SocketListener.tcp(host: host, port: port), configuration: configuration, logger: logger, responder: responder)
    }

    public var port: Int { listener.port }

    /// Connections open now.
    public var connectionCount: Int { connections.withLock { $0.entries.count } }
    /// Connections with a request in progress.
    public var busyConnectionCount: Int { connections.withLock { $0.entries.values.filter(\.busy).count } }
    /// Connections accepted since start.
    public var acceptedCount: Int { connections.withLock { $0.accepted } }
    /// Connections refused since start because `maxConnections` were open.
    public var refusedCount: Int { connections.withLock { $0.refused } }
    /// Whether `shutdown()` has begun (responses from now on carry `Connection: close`).
    public var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// Serves until `shutdown()`; returns once every connection has ended.
    public func run() async {
        await listener.serve(while: { !shuttingDown.load(ordering: .acquiring) },
                             onError: { logger.error("accept failed", ["error": $0]) },
                             prepare: { stream in
                                 // Registered before the next accept, so a shutdown sees every connection.
                                 let max = configuration.maxConnections
                                 let id = connections.withLock { t -> Int? in
                                     t.accepted += 1
                                     guard t.entries.count < max else {
                                         t.refused += 1
                                         return nil
                                     }
                                     t.nextID += 1
                                     t.entries[t.nextID] = (stream, false)
                                     t.peak = Swift.max(t.peak, t.entries.count)
                                     return t.nextID
                                 }
                                 return (stream, id)
                             }) { (stream, id) in
            guard let id else {
                await self.refuse(stream)
                return
            }
            if let tls = self.configuration.tls {
                do {
                    let secure = try await TLSStream(accepting: stream, context: tls, deadline: .now + self.configuration.headTimeout)
                    self.connections.withLock { $0.entries[id]?.stream = secure }
                    await self.serve(secure, id: id, peer: stream.peerAddress?.description)
                    secure.close()
                } catch {
                    self.logger.debug("TLS handshake failed", ["conn": id, "error": error])
                }
            } else if self.responder.answersImmediately,
                      self.onReactor.wrappingAdd(1, ordering: .relaxed).newValue <= self.configuration.reactorConnections {
                await withTaskExecutorPreference(stream.reactor) {
                    await self.serve(stream, id: id, peer: stream.peerAddress?.description, onReactor: true)
                }
                self.onReactor.wrappingSubtract(1, ordering: .relaxed)
            } else {
                if self.responder.answersImmediately { self.onReactor.wrappingSubtract(1, ordering: .relaxed) }
                await self.serve(stream, id: id, peer: stream.peerAddress?.description)
            }
            let trim = self.connections.withLock { t -> Bool in
                _ = t.entries.removeValue(forKey: id)
                guard t.peak >= self.configuration.trimAfterPeak, t.entries.count * 4 <= t.peak else { return false }
                t.peak = t.entries.count
                return true
            }
            stream.close()
            if trim { Memory.releaseFreedHeap() }
        }
    }

    /// One connection too many: `503` with `Retry-After`, in the one error shape, and closed (never read).
    private func refuse(_ stream: SocketStream) async {
        // Over TLS a plaintext answer would be noise to the client: the close is the refusal.
        guard configuration.tls == nil else {
            stream.close()
            return
        }
        let requestID = RequestContext.newRequestID()
        let seconds = max(1, Int(configuration.retryAfter.seconds.rounded(.up)))
        logger.debug("connection refused: too many open", ["request_id": requestID, "max": configuration.maxConnections])
        let error = HTTPError(.serviceUnavailable, code: "TOO_MANY_CONNECTIONS",
                              "\(configuration.maxConnections) connections are open; try again in \(seconds) s",
                              headers: ["Retry-After": "\(seconds)"])
        var response = error.response(requestID: requestID)
        response.headers.set("X-Request-Id", requestID)
        guard case .bytes(let body) = response.body else { return }
        let head = HTTPResponseWriter.head(response, bodyLength: body.count, chunked: false, keepAlive: false, version: "HTTP/1.1")
        try? await stream.write(head + body, deadline: .now + .milliseconds(500))
        stream.close()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish
    /// (up to the grace period), then closes whatever is left.
    public func shutdown() async {
        guard !shuttingDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        listener.close()
        closeIdleConnections()
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while ContinuousClock.now < deadline {
            if connections.withLock({ $0.entries.isEmpty }) { return }
            try? await Reactor.shared.sleep(until: .now + .milliseconds(10))
            closeIdleConnections()
        }
        let rest = connections.withLock { $0.entries.values.map(\.stream) }
        for stream in rest { stream.close() }
    }

    private func closeIdleConnections() {
        let idle = connections.withLock { $0.entries.values.filter { !$0.busy }.map(\.stream) }
        for stream in idle { stream.close() }
    }

    private func setBusy(_ id: Int, _ busy: Bool) {
        connections.withLock { t in
            if var e = t.entries[id] {
                e.busy = busy
                t.entries[id] = e
            }
        }
    }

    // MARK: One connection

    private func serve(_ stream: any ByteStream, id: Int, peer: String? = nil, onReactor: Bool = false) async {
        var parser = HTTPRequestParser(limits: configuration.limits)
        var headDeadline: Deadline?
        var sentContinue = false
        while true {
            let request: HTTPRequest?
            do {
                request = try parser.next()
            } catch {
                let requestID = RequestContext.newRequestID()
                logger.notice("bad request", ["conn": id, "request_id": requestID, "error": error])
                await sendError(HTTPError(error.status, error.description), requestID: requestID, on: stream)
                return
            }
            if var request {
                request.remoteAddress = peer
                setBusy(id, true)
                headDeadline = nil
                sentContinue = false
                let keepAlive: Bool
                if !onReactor {
                    keepAlive = await respond(to: request, parser: parser, on: stream)
                } else if let response = responder.respondImmediately(to: request) {
                    keepAlive = await send(response, for: request, parser: parser, on: stream)
                } else {
                    // Anything that may take long (a handler, an upgrade, a streamed body) leaves the reactor thread.
                    keepAlive = await withTaskExecutorPreference(globalConcurrentExecutor) {
                        await respond(to: request, parser: parser, on: stream)
                    }
                }
                setBusy(id, false)
                if !keepAlive || shuttingDown.load(ordering: .acquiring) { return }
                continue
            }
            // Need more bytes. RFC 9110 §10.1.1: answer 100-continue before reading the body.
            if let pending = parser.pendingHead, !sentContinue,
               pending.headers.contains("Expect", token: "100-continue"), pending.version == "HTTP/1.1" {
                sentContinue = true
                do { try await stream.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), deadline: .now + configuration.writeTimeout) } catch { return }
            }
            let deadline: Deadline
            if parser.isIdle {
                if shuttingDown.load(ordering: .acquiring) { return }
                deadline = .now + configuration.idleTimeout
            } else if parser.pendingHead != nil {
                deadline = .now + configuration.bodyReadTimeout
            } else {
                if headDeadline == nil { headDeadline = .now + configuration.headTimeout }
                deadline = headDeadline!
            }
            let wasIdle = parser.isIdle
            do {
                if wasIdle {
                    // Between requests the connection holds no read buffer: a flood of idle keep-alive
                    // connections costs a descriptor and a task each, not 16 KiB (reliability review, row 4d).
                    parser.releaseIdleStorage()
                    try await stream.waitUntilReadable(deadline: deadline)
                }
                let n = try await parser.withWritableBuffer { buffer in
                    try await stream.read(into: &buffer, maxLength: 16_384, deadline: deadline)
                }
                if n == 0 { return }
                if wasIdle { setBusy(id, true) }
            } catch is DeadlineExceeded {
                if !wasIdle {
                    let requestID = RequestContext.newRequestID()
                    logger.notice("request timed out", ["conn": id, "request_id": requestID])
                    await sendError(HTTPError(.requestTimeout, "request not received in time"), requestID: requestID, on: stream)
                }
                return
            } catch {
                return
            }
        }
    }

    /// Runs the responder and writes its response; returns whether to keep the connection.
    private func respond(to request: HTTPRequest, parser: HTTPRequestParser, on stream: any ByteStream) async -> Bool {
        await send(await responder.respond(to: request), for: request, parser: parser, on: stream)
    }

    /// Writes `response` (or hands the stream to its upgrade); returns whether to keep the connection.
    private func send(_ response: HTTPResponse, for request: HTTPRequest, parser: HTTPRequestParser, on stream: any ByteStream) async -> Bool {
        var response = response
        let keepAlive = HTTPRequestParser.keepsAlive(request) && !shuttingDown.load(ordering: .acquiring)
        let deadline = Deadline.now + configuration.writeTimeout
        do {
            if response.status.code == 101, let upgrade = response.upgrade {
                try await stream.write(HTTPResponseWriter.head(response, bodyLength: nil, chunked: false, keepAlive: true, version: request.version), deadline: deadline)
                await upgrade(stream, parser.leftover)
                return false
            }
            let noBody = request.method == .head || response.status.code == 204 || response.status.code == 304
                || (100..<200).contains(response.status.code)
            switch response.body {
            case .bytes(let bytes):
                let length: Int? = (response.status.code == 204 || response.status.code == 304) ? nil : bytes.count
                var out = HTTPResponseWriter.head(response, bodyLength: length, chunked: false, keepAlive: keepAlive, version: request.version)
                if !noBody { out.append(contentsOf: bytes) }
                try await stream.write(out, deadline: deadline)
                return keepAlive
            case .stream(let produce):
                // HTTP/1.0 has no chunked coding: the body ends when the connection does.
                let chunked = request.version == "HTTP/1.1"
                let keep = keepAlive && chunked
                response.headers.remove("Content-Length")
                try await stream.write(HTTPResponseWriter.head(response, bodyLength: nil, chunked: chunked && !noBody, keepAlive: keep, version: request.version), deadline: deadline)
                if noBody { return keep }
                let writeTimeout = configuration.writeTimeout
                try await produce { piece in
                    guard !piece.isEmpty else { return }
                    try await stream.write(chunked ? HTTPResponseWriter.chunk(piece) : piece, deadline: .now + writeTimeout)
                }
                if chunked { try await stream.write(Array("0\r\n\r\n".utf8), deadline: .now + writeTimeout) }
                return keep
            }
        } catch {
            logger.debug("response write failed", ["error": error])
            return false
        }
    }

    /// Answers a request the server refuses before any responder sees it, in the one error shape
    /// (escaped: the message may quote client text), then closes the connection.
    private func sendError(_ error: HTTPError, requestID: String, on stream: any ByteStream) async {
        var response = error.response(requestID: requestID)
        response.headers.set("X-Request-Id", requestID)
        guard case .bytes(let body) = response.body else { return }
        let head = HTTPResponseWriter.head(response, bodyLength: body.count, chunked: false, keepAlive: false, version: "HTTP/1.1")
        try? await stream.write(head + body, deadline: .now + .seconds(5))
        // Half-close and drain briefly so the client reads the response instead of a reset (RFC 9112 §9.6).
        await stream.shutdownWrite()
        var sink: [UInt8] = []
        let drainUntil = Deadline.now + .milliseconds(200)
        while (try? await stream.read(into: &sink, maxLength: 16_384, deadline: drainUntil)) ?? 0 > 0 {
            sink.removeAll(keepingCapacity: true)
        }
    }
}
