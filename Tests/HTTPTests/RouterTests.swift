import Testing
@testable import HTTP

@Suite struct RouterTests {
    func router() -> Router {
        var r = Router()
        r.get("/api/v1/bots") { _, _ in HTTPResponse(bytes: Array("list".utf8)) }
        r.get("/api/v1/bots/{name}") { req, _ in HTTPResponse(bytes: Array("bot \(req.pathParameters["name"]!)".utf8)) }
        r.post("/api/v1/bots/{name}/start") { req, _ in HTTPResponse(status: .accepted, bytes: Array(req.pathParameters["name"]!.utf8)) }
        return r
    }

    func body(_ r: HTTPResponse) -> String {
        guard case .bytes(let b) = r.body else { return "" }
        return String(decoding: b, as: UTF8.self)
    }

    @Test func pathParametersAreCaptured() async {
        let r = await router().respond(to: HTTPRequest(method: .get, target: "/api/v1/bots/alpha"))
        #expect(body(r) == "bot alpha")
        let s = await router().respond(to: HTTPRequest(method: .post, target: "/api/v1/bots/beta/start"))
        #expect(s.status == .accepted)
        #expect(body(s) == "beta")
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async {
        let r = await router().respond(to: HTTPRequest(method: .delete, target: "/api/v1/bots"))
        #expect(r.status == .methodNotAllowed)
        #expect(r.headers["Allow"] == "GET")
    }

    @Test func anUnknownPathIs404AndHeadUsesGet() async {
        #expect(await router().respond(to: HTTPRequest(method: .get, target: "/nope")).status == .notFound)
        #expect(await router().respond(to: HTTPRequest(method: .head, target: "/api/v1/bots")).status == .ok)
    }

    struct Tag: HTTPMiddleware {
        let name: String
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            var response = try await next(request, context)
            response.headers.add("X-Order", name)
            return response
        }
    }

    @Test func middlewareWrapsInOrder() async {
        var r = router()
        r.use(Tag(name: "outer"))
        r.use(Tag(name: "inner"))
        let response = await r.respond(to: HTTPRequest(method: .get, target: "/api/v1/bots"))
        #expect(response.headers.values("X-Order") == ["inner", "outer"])
    }

    struct Payload: Codable, Equatable { var name: String; var n: Int }

    @Test func jsonBodiesDecodeWithClearErrors() throws {
        let ok = HTTPRequest(method: .post, target: "/", body: Array("{\"name\":\"a\",\"n\":1}".utf8))
        #expect(try ok.decodeJSON(Payload.self) == Payload(name: "a", n: 1))
        let missing = HTTPRequest(method: .post, target: "/", body: Array("{\"name\":\"a\"}".utf8))
        #expect(throws: JSONBodyError.self) { try missing.decodeJSON(Payload.self) }
        do { _ = try missing.decodeJSON(Payload.self) } catch { #expect("\(error)" == "missing field `n`") }
        let response = HTTPResponse.json(Payload(name: "b", n: 2))
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(body(response) == "{\"n\":2,\"name\":\"b\"}")
    }
}
