/// Routes requests by method and path pattern (`/api/v1/bots/{name}`) to
/// handlers. A path that matches with another method answers 405 with
/// `Allow`; no match answers 404. Middleware wraps every route.
public struct Router: HTTPResponder {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Segment]
        var pattern: String
        var handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    private var middleware: [any HTTPMiddleware] = []
    /// The answer when nothing matches; replaceable so the API can use its own error shape.
    public var notFound: @Sendable (HTTPRequest) async -> HTTPResponse = { _ in
        HTTPResponse(status: .notFound, headers: ["Content-Type": "application/json"],
                     bytes: Array("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such route\"}}".utf8))
    }
    public var methodNotAllowed: @Sendable (HTTPRequest, [HTTPMethod]) async -> HTTPResponse = { _, allowed in
        HTTPResponse(status: .methodNotAllowed,
                     headers: ["Content-Type": "application/json", "Allow": allowed.map(\.rawValue).joined(separator: ", ")],
                     bytes: Array("{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"method not allowed\"}}".utf8))
    }

    public init() {}

    /// Adds a route; `{name}` segments capture into `request.pathParameters`.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method, segments: segments, pattern: pattern, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add(.post, pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add(.put, pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add(.patch, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add(.delete, pattern, handler) }

    /// Adds middleware; the first added runs outermost.
    public mutating func use(_ m: any HTTPMiddleware) { middleware.append(m) }

    /// Every route's method and pattern, for documentation and tests.
    public var routeList: [(method: HTTPMethod, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var chain: @Sendable (HTTPRequest) async -> HTTPResponse = { request in await self.dispatch(request) }
        for m in middleware.reversed() {
            let next = chain
            chain = { request in await m.handle(request, next: next) }
        }
        return await chain(request)
    }

    private func dispatch(_ request: HTTPRequest) async -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = Router.match(route.segments, parts) else { continue }
            // HEAD is answered by the GET route; the server drops the body.
            if route.method == request.method || (request.method == .head && route.method == .get) {
                var routed = request
                routed.pathParameters = parameters
                routed.context["route"] = route.pattern
                return await route.handler(routed)
            }
            allowed.append(route.method)
        }
        if !allowed.isEmpty { return await methodNotAllowed(request, allowed) }
        return await notFound(request)
    }

    static func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let s): if s != part { return nil }
            case .parameter(let name): parameters[name] = String(part)
            }
        }
        return parameters
    }
}

/// Wraps request handling: logging, request ids, auth, error mapping.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, next: @Sendable (HTTPRequest) async -> HTTPResponse) async -> HTTPResponse
}
