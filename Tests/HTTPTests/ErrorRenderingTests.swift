import Testing
import Foundation
import IOCore
import JSON
import TestSupport
@testable import HTTP

/// Every error body, from the server's refusals to a handler's throw, is one shape of valid JSON
/// with the request's id, written by one escaper.
@Suite struct ErrorRenderingTests {
    /// The body of a raw HTTP/1.1 response, parsed as JSON.
    func body(ofRaw response: String) throws -> JSON {
        let parts = response.split(separator: "\r\n\r\n", maxSplits: 1)
        return try JSON.parse(String(parts.count == 2 ? parts[1] : ""))
    }

    func json(_ response: HTTPResponse) throws -> JSON {
        guard case .bytes(let bytes) = response.body else { return .null }
        return try JSON.parse(bytes)
    }

    @Test func aCraftedTransferEncodingIsRefusedWithValidJSON() async throws {
        try await withServer(responder: testRouter()) { server in
            // A quote and a backslash in the coding: both come back in the message, escaped.
            let raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gz\"ip\\, chunked\r\n\r\n0\r\n\r\n"
            let response = try await rawExchange(port: server.port, Array(raw.utf8))
            #expect(response.hasPrefix("HTTP/1.1 501 "))
            let error = try #require(try body(ofRaw: response)["error"])
            #expect(error["code"]?.string == "NOT_IMPLEMENTED")
            #expect(error["message"]?.string?.contains("gz\"ip\\") == true)
            let id = try #require(error["request_id"]?.string)
            #expect(id.count == 16)
            #expect(response.lowercased().contains("x-request-id: \(id)"))
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlSeesValidJSONForAHeaderTheServerRefuses() async throws {
        try await withServer(responder: testRouter()) { server in
            let result = try await runProcess(Peer.curl.path!, ["-sS", "--max-time", testPatienceSeconds, "-H", "Transfer-Encoding: x\"y, chunked",
                                                                "http://127.0.0.1:\(server.port)/echo"],
                                              timeout: .seconds(30))
            let error = try JSON.parse(result.stdout)["error"]
            #expect(error?["code"]?.string == "NOT_IMPLEMENTED")
            #expect(error?["message"]?.string?.contains("x\"y") == true)
        }
    }

    @Test func theRoutersOwn404And405CarryTheRequestID() async throws {
        var router = Router()
        router.get("/things") { _, _ in HTTPResponse(bytes: []) }
        let missing = await router.respond(to: HTTPRequest(method: .get, target: "/nope\"", headers: ["X-Request-Id": "abc-1"]))
        #expect(missing.status == .notFound)
        #expect(try json(missing)["error"]?["request_id"]?.string == "abc-1")
        #expect(try json(missing)["error"]?["message"]?.string == "no route for /nope\"")
        let wrong = await router.respond(to: HTTPRequest(method: .delete, target: "/things"))
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headers["Allow"] == "GET")
        #expect(try json(wrong)["error"]?["code"]?.string == "METHOD_NOT_ALLOWED")
        #expect(try json(wrong)["error"]?["request_id"]?.string?.count == 16)
    }

    struct Refusal: HTTPResponseError {
        var status: HTTPStatus { .conflict }
        var wireCode: String { "THING_EXISTS" }
        var message: String { "a thing named \"x\" exists" }
        var fields: [HTTPErrorField] { [HTTPErrorField("name", "taken")] }
    }

    struct Unexpected: Error {}

    @Test func aThrownErrorIsRenderedAndAnUnknownOneIsA500ThatSaysNothing() async throws {
        var router = Router()
        router.post("/things") { _, _ in throw Refusal() }
        router.get("/boom") { _, _ in throw Unexpected() }
        let refused = await router.respond(to: HTTPRequest(method: .post, target: "/things", headers: ["X-Request-Id": "r1"]))
        #expect(refused.status == .conflict)
        guard case .bytes(let bytes) = refused.body else { Issue.record("no body"); return }
        #expect(String(decoding: bytes, as: UTF8.self)
                == #"{"error":{"code":"THING_EXISTS","fields":[{"field":"name","message":"taken"}],"message":"a thing named \"x\" exists","request_id":"r1"}}"#)
        let boom = await router.respond(to: HTTPRequest(method: .get, target: "/boom"))
        #expect(boom.status == .internalServerError)
        #expect(try json(boom)["error"]?["code"]?.string == "INTERNAL")
    }

    @Test func handlersSeeATypedContext() async throws {
        var router = Router()
        router.get("/who/{name}") { _, context in
            HTTPResponse(bytes: Array("\(context.route ?? "-") \(context.requestID) \(context.principal == nil)".utf8))
        }
        let response = await router.respond(to: HTTPRequest(method: .get, target: "/who/a", headers: ["X-Request-Id": "req_7"]))
        guard case .bytes(let bytes) = response.body else { Issue.record("no body"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "/who/{name} req_7 true")
        // An id that is not safe for a header or a log line is replaced.
        #expect(RequestContext(for: HTTPRequest(method: .get, target: "/", headers: ["X-Request-Id": "a b\"c"])).requestID.count == 16)
    }

    @Test func theServerTellsHandlersTheClientAddress() async throws {
        var router = Router()
        router.get("/me") { _, context in HTTPResponse(bytes: Array((context.clientAddress ?? "none").utf8)) }
        try await withServer(responder: router) { server in
            let response = try await rawExchange(port: server.port, Array("GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            #expect(response.hasSuffix("\r\n\r\n") == false)
            #expect(response.contains("\r\n\r\n127.0.0.1:"))
        }
    }
}
