/// Routes requests by method and path pattern (`/api/v1/bots/{name}`) to
/// handlers. A path that matches with another method answers 405 with
/// `Allow`; no match answers 404. Middleware wraps every route.
///
/// Handlers and middleware throw; the router renders whatever escapes them in the one error
/// shape (`HTTPResponseError.response(requestID:)`), so a 404, a 405 and a handler's own error
/// look alike. An error middleware that maps its own errors (and logs 500s) sits in front.
public struct Router: HTTPResponder {
    public typealias Handler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse
    /// A handler that answers at once and cheaply: with no middleware it runs on the reactor thread.
    public typealias ImmediateHandler = @Sendable (HTTPRequest, RequestContext) -> HTTPResponse

    struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Segment]
        var pattern: String
        var handler: Handler
        var immediate: ImmediateHandler?
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    private var middleware: [any HTTPMiddleware] = []

    public init() {}

    /// Adds a route; `{name}` segments capture into `request.pathParameters`.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method, segments: segments, pattern: pattern, handler: handler))
    }

    /// Adds a route whose handler never suspends and costs little (a fixed body): with no middleware in
    /// front, the server answers it on the reactor thread without a hop to the cooperative pool.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, immediate handler: @escaping ImmediateHandler) {
        let asynchronous: Handler = { request, context in handler(request, context) }
        add(method, pattern, asynchronous)
        routes[routes.count - 1].immediate = handler
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
        var chain: HTTPMiddleware.Next = { request, context in try await self.dispatch(request, context) }
        for m in middleware.reversed() {
            let next = chain
            chain = { request, context in try await m.handle(request, context: context, next: next) }
        }
        var context = RequestContext(for: request)
        // Matched before the middleware runs, so an authorization middleware knows which route's rule applies.
        context.route = pattern(for: request)
        do {
            return try await chain(request, context)
        } catch let error as any HTTPResponseError {
            return error.response(requestID: context.requestID)
        } catch {
            // Nothing in front mapped it: say nothing about it on the wire (an error middleware logs it).
            return HTTPError(.internalServerError, code: "INTERNAL", "the request failed").response(requestID: context.requestID)
        }
    }

    public var answersImmediately: Bool { middleware.isEmpty && routes.contains { $0.immediate != nil } }

    public func respondImmediately(to request: HTTPRequest) -> HTTPResponse? {
        guard middleware.isEmpty else { return nil }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        // The first route that matches both path and method decides, as in `dispatch`.
        guard let route = routes.first(where: { route in
            (route.method == request.method || (request.method == .head && route.method == .get)) && Router.match(route.segments, parts) != nil
        }), let immediate = route.immediate, let parameters = Router.match(route.segments, parts) else { return nil }
        var routed = request
        routed.pathParameters = parameters
        var context = RequestContext(for: request)
        context.route = route.pattern
        return immediate(routed, context)
    }

    /// The pattern of the route that will answer `request` (HEAD by its GET route); nil for a 404 or 405.
    public func pattern(for request: HTTPRequest) -> String? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { route in
            (route.method == request.method || (request.method == .head && route.method == .get)) && Router.match(route.segments, parts) != nil
        }?.pattern
    }

    private func dispatch(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = Router.match(route.segments, parts) else { continue }
            // HEAD is answered by the GET route; the server drops the body.
            if route.method == request.method || (request.method == .head && route.method == .get) {
                var routed = request
                routed.pathParameters = parameters
                var context = context
                context.route = route.pattern
                return try await route.handler(routed, context)
            }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            throw HTTPError(.methodNotAllowed, code: "METHOD_NOT_ALLOWED", "\(request.method) is not allowed here; use \(list)",
                            headers: ["Allow": list])
        }
        throw HTTPError(.notFound, code: "NOT_FOUND", "no route for \(request.path)")
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

/// Wraps request handling: request ids, logging, auth, error mapping. It may change the request or
/// the context before calling `next` (an auth middleware fills `context.principal`), change the
/// response after it, or throw.
public protocol HTTPMiddleware: Sendable {
    typealias Next = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse
    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse
}
