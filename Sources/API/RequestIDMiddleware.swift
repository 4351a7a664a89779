import HTTP

/// Echoes the request's id (`RequestContext.requestID`, the client's own `X-Request-Id` when it sent
/// a sane one) in the response's `X-Request-Id`, errors included. Runs outermost.
package struct RequestIDMiddleware: HTTPMiddleware {
    package init() {}

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        var response = try await next(request, context)
        response.headers.set("X-Request-Id", context.requestID)
        return response
    }
}
