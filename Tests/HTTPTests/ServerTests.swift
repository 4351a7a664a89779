import Testing
import Foundation
import Glibc
import IOCore
import TestSupport
@testable import HTTP

/// Runs `body` against a server on a free port and always shuts it down.
func withServer<T>(configuration: HTTPServer.Configuration = .init(), responder: any HTTPResponder,
                   _ body: (HTTPServer) async throws -> T) async throws -> T {
    let server = try HTTPServer(port: 0, configuration: configuration, responder: responder)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await server.run() }
        do {
            let result = try await body(server)
            await server.shutdown()
            try await group.waitForAll()
            return result
        } catch {
            await server.shutdown()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Echo-style test routes.
func testRouter(accepted: Counter? = nil) -> Router {
    var r = Router()
    // Answered on the reactor thread (`immediate`); the other routes hop to the cooperative pool.
    r.add(.get, "/hello", immediate: { _, _ in HTTPResponse(headers: ["Content-Type": "text/plain"], bytes: Array("hello\n".utf8)) })
    r.post("/echo") { req, _ in HTTPResponse(headers: ["Content-Type": "application/octet-stream"], bytes: req.body) }
    r.get("/slow") { req, _ in
        try? await Reactor.shared.sleep(until: .now + .milliseconds(Int64(req.query("ms") ?? "300")!))
        return HTTPResponse(bytes: Array("slow done".utf8))
    }
    r.get("/stream") { _, _ in
        HTTPResponse(body: .stream { write in
            for i in 0..<5 { try await write(Array("part\(i)\n".utf8)) }
        })
    }
    return r
}

/// `testRouter()` plus `path`, whose handler waits until `latch` opens, then answers `answer`.
func testRouter(holding path: String, until latch: Latch, answer: String) -> Router {
    var r = testRouter()
    r.get(path) { _, _ in
        await latch.wait()
        return HTTPResponse(bytes: Array(answer.utf8))
    }
    return r
}

actor Counter {
    var value = 0
    func increment() { value += 1 }
}

/// A door a handler waits at until the test opens it.
actor Latch {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }
    func open() {
        isOpen = true
        for w in waiting { w.resume() }
        waiting.removeAll()
    }
}

/// A raw client: writes bytes, reads until the server closes or `until` appears.
func rawExchange(port: Int, _ bytes: [UInt8], readUntilClose: Bool = true) async throws -> String {
    let s = try await SocketStream.connect(host: "127.0.0.1", port: port, deadline: .after(testPatience))
    defer { s.close() }
    try await s.write(bytes, deadline: .after(testPatience))
    var out: [UInt8] = []
    while try await s.read(into: &out, maxLength: 65_536, deadline: .after(testPatience)) > 0 {}
    return String(decoding: out, as: UTF8.self)
}

@Suite struct ServerTests {
    @Test func garbageGets400ThenTheServerCloses() async throws {
        try await withServer(responder: testRouter()) { server in
            let reply = try await rawExchange(port: server.port, Array("\u{1}\u{2}garbage\r\n\r\n".utf8))
            #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(reply.contains("Connection: close\r\n"))
        }
    }

    @Test func aSlowlorisHeadIsCutOffAtTheDeadline() async throws {
        var config = HTTPServer.Configuration()
        config.headTimeout = .milliseconds(200)
        try await withServer(configuration: config, responder: testRouter()) { server in
            let s = try await SocketStream.connect(host: "127.0.0.1", port: server.port)
            defer { s.close() }
            try await s.write(Array("GET /hello HTTP/1.1\r\nHost: x\r\n".utf8))
            var out: [UInt8] = []
            // Trickle a header line every 50 ms; the server must give up by its deadline anyway.
            for i in 0..<100 {
                do { try await s.write(Array("X-\(i): y\r\n".utf8)) } catch { break }
                if (try? await s.read(into: &out, maxLength: 4096, deadline: .after(.milliseconds(50)))) ?? 0 > 0 { break }
            }
            while (try? await s.read(into: &out, maxLength: 4096, deadline: .after(testPatience))) ?? 0 > 0 {}
            #expect(String(decoding: out, as: UTF8.self).hasPrefix("HTTP/1.1 408"))
        }
    }

    @Test func gracefulShutdownFinishesAnInFlightRequest() async throws {
        // The handler waits until the test has begun the shutdown: in flight for sure, however loaded the machine.
        let door = Latch()
        let router = testRouter(holding: "/held", until: door, answer: "slow done")
        let server = try HTTPServer(port: 0, responder: router)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            let client = Task { try await rawExchange(port: server.port, Array("GET /held HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }
            try await eventually(timeout: .seconds(30), "request in flight") { server.busyConnectionCount > 0 }
            async let stopped: Void = server.shutdown()
            try await eventually(timeout: .seconds(30), "the shutdown to begin") { server.isShuttingDown }
            await door.open()
            await stopped
            let reply = try await client.value
            #expect(reply.hasPrefix("HTTP/1.1 200 OK"))
            #expect(reply.hasSuffix("slow done"))
            #expect(reply.contains("Connection: close"))
            try await group.waitForAll()
        }
    }

    @Test func aStreamedBodyIsChunked() async throws {
        try await withServer(responder: testRouter()) { server in
            let reply = try await rawExchange(port: server.port, Array("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            #expect(reply.contains("Transfer-Encoding: chunked"))
            #expect(reply.hasSuffix("6\r\npart4\n\r\n0\r\n\r\n"))
        }
    }

    @Test func expectContinueGets100BeforeTheBody() async throws {
        try await withServer(responder: testRouter()) { server in
            let s = try await SocketStream.connect(host: "127.0.0.1", port: server.port)
            defer { s.close() }
            try await s.write(Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n".utf8))
            var out: [UInt8] = []
            while !String(decoding: out, as: UTF8.self).contains("\r\n\r\n") {
                _ = try await s.read(into: &out, maxLength: 4096, deadline: .after(testPatience))
            }
            #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
            try await s.write(Array("ok".utf8))
            out.removeAll()
            while !String(decoding: out, as: UTF8.self).hasSuffix("ok") {
                _ = try await s.read(into: &out, maxLength: 4096, deadline: .after(testPatience))
            }
            #expect(String(decoding: out, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test func athousandIdleConnectionsDoNotStopAnotherClient() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            limit.rlim_cur = min(limit.rlim_max, 8192)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        // The stalled heads must outlive the test however slow a loaded machine makes it: the head
        // deadline (10 s by default) would otherwise end them before the last check.
        var configuration = HTTPServer.Configuration()
        configuration.headTimeout = testPatience * 2
        try await withServer(configuration: configuration, responder: testRouter()) { server in
            var idle: [SocketStream] = []
            defer { idle.forEach { $0.close() } }
            for _ in 0..<1000 {
                idle.append(try await SocketStream.connect(host: "127.0.0.1", port: server.port, deadline: .after(testPatience)))
            }
            // Half of them send half a request head and stall.
            for s in idle.prefix(500) { try await s.write(Array("GET /hello HTTP/1.1\r\n".utf8)) }
            try await eventually(timeout: .seconds(20), "1000 connections accepted") { server.connectionCount >= 1000 }
            let reply = try await rawExchange(port: server.port, Array("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            #expect(reply.hasSuffix("hello\n"))
            #expect(server.connectionCount >= 1000)
        }
    }

    /// Issue 13: an idle keep-alive connection whose client closed sat in CLOSE_WAIT until the idle timeout (60 s),
    /// holding its descriptor and memory. The idle timeout here is an hour: only noticing the close ends them.
    @Test func idleConnectionsTheClientsClosedAreClosedAtOnceNotAtTheIdleTimeout() async throws {
        var configuration = HTTPServer.Configuration()
        configuration.idleTimeout = .seconds(3600)
        try await withServer(configuration: configuration, responder: testRouter()) { server in
            var clients: [SocketStream] = []
            defer { clients.forEach { $0.close() } }
            for i in 0..<200 {
                let s = try await SocketStream.connect(host: "127.0.0.1", port: server.port, deadline: .after(testPatience))
                clients.append(s)
                // Half made a keep-alive request first: idle between requests, as a browser's or a scraper's.
                guard i % 2 == 0 else { continue }
                try await s.write(Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8), deadline: .after(testPatience))
                var reply: [UInt8] = []
                while !String(decoding: reply, as: UTF8.self).hasSuffix("hello\n") {
                    guard try await s.read(into: &reply, maxLength: 4096, deadline: .after(testPatience)) > 0 else { break }
                }
            }
            try await eventually("200 connections accepted") { server.connectionCount == 200 }
            for s in clients { s.close() }
            clients.removeAll()
            try await eventually("the closed connections gone") { server.connectionCount == 0 }
        }
    }
}

