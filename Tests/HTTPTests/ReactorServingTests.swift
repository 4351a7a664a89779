import Testing
import Glibc
import IOCore
import TestSupport
@testable import HTTP

/// Connections served on the reactor thread (a router with an `immediate` route and no middleware).
@Suite struct ReactorServingTests {
    @Test func theRouterOffersOnlyImmediateRoutesAndOnlyWithoutMiddleware() {
        let router = testRouter()
        #expect(router.answersImmediately)
        let hello = HTTPRequest(method: .get, target: "/hello")
        guard case .bytes(let body)? = router.respondImmediately(to: hello)?.body else {
            Issue.record("GET /hello was not answered immediately")
            return
        }
        #expect(String(decoding: body, as: UTF8.self) == "hello\n")
        let echo = HTTPRequest(method: .post, target: "/echo")
        #expect(router.respondImmediately(to: echo) == nil)
        var wrapped = testRouter()
        wrapped.use(PassThrough())
        #expect(!wrapped.answersImmediately)
        #expect(wrapped.respondImmediately(to: hello) == nil)
    }

    @Test func pipelinedImmediateAndPoolRequestsAreAnsweredInOrder() async throws {
        try await withServer(responder: testRouter()) { server in
            let requests = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                + "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let reply = try await rawExchange(port: server.port, Array(requests.utf8))
            #expect(reply.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 6)
            let marks = ["hello\n", "first", "part0\n", "part4\n", "0\r\n\r\n", "Connection: close\r\n"].map { reply.range(of: $0)?.lowerBound }
            #expect(marks.allSatisfy { $0 != nil })
            #expect(marks.compactMap { $0 } == marks.compactMap { $0 }.sorted())
            // The HEAD answer carries no body: "hello\n" appears once per GET.
            #expect(reply.components(separatedBy: "hello\n").count == 3)
        }
    }

    @Test func aHandlerThatWaitsDoesNotHoldUpTheReactor() async throws {
        let latch = Latch()
        let router = testRouter(holding: "/wait", until: latch, answer: "waited")
        try await withServer(responder: router) { server in
            async let waited = rawExchange(port: server.port, Array("GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            try await eventually { server.busyConnectionCount == 1 }
            // Another reactor connection is answered while the first one's handler waits on the pool.
            let hello = try await rawExchange(port: server.port, Array("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            #expect(hello.hasSuffix("hello\n"))
            await latch.open()
            #expect(try await waited.hasSuffix("waited"))
        }
    }

    @Test func moreClientsThanReactorConnectionsAreAllServed() async throws {
        var config = HTTPServer.Configuration()
        config.reactorConnections = 2
        try await withServer(configuration: config, responder: testRouter()) { server in
            let replies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let one = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                        let last = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        return try await rawExchange(port: server.port, Array((String(repeating: one, count: 20) + last).utf8))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.count == 8)
            #expect(replies.allSatisfy { $0.components(separatedBy: "hello\n").count == 22 })
        }
    }
}

private struct PassThrough: HTTPMiddleware {
    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        try await next(request, context)
    }
}
