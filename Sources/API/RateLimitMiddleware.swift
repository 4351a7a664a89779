import Auth
import HTTP
import IPC

/// Applies `RateLimits` to every request but health: one instance per scope. The address instance runs
/// before authentication (a flood of bad tokens is limited too); the principal instance after it, where
/// `context.principal` is known, and it passes requests without one. A refused request is 429
/// `RATE_LIMITED` with `Retry-After`, `RateLimit-Policy` and `RateLimit`
/// (draft-ietf-httpapi-ratelimit-headers); an answered one carries the last two, from the tighter scope.
package struct RateLimitMiddleware: HTTPMiddleware {
    let limits: RateLimits
    let scope: RateLimits.Scope

    package init(_ limits: RateLimits, scope: RateLimits.Scope) {
        self.limits = limits
        self.scope = scope
    }

    /// Not limited: a monitor polling health must never read a 429 as "down".
    static let exempt: Set<String> = ["/api/v1/monitoring/health"]

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        guard limits.settings.enabled, !RateLimitMiddleware.exempt.contains(request.path) else { return try await next(request, context) }
        let key: String? = switch scope {
        case .address: RateLimits.addressKey(context.clientAddress)
        case .principal: context.principal?.subject
        }
        guard let key else { return try await next(request, context) }
        let routeClass = RateLimits.routeClass(method: request.method, path: request.path)
        let decision = limits.take(routeClass, scope: scope, key: key)
        guard decision.allowed else {
            var headers = HTTPHeaders()
            for (name, value) in decision.headers { headers.set(name, value) }
            throw APIError(.tooManyRequests, .rateLimited,
                           "too many \(routeClass.rawValue) requests from this \(scope.rawValue); retry in \(decision.retryAfter ?? 1) s",
                           headers: headers)
        }
        var response = try await next(request, context)
        // The tighter answer wins: an inner scope with fewer requests left has already said so.
        if let inner = response.headers["RateLimit"].flatMap(RateLimitMiddleware.remaining), inner <= decision.remaining { return response }
        response.headers.set("RateLimit-Policy", decision.policy.policyHeaderValue)
        response.headers.set("RateLimit", decision.rateLimitHeaderValue)
        return response
    }

    /// `r` from a `RateLimit` field value (`"api";r=59;t=1`).
    static func remaining(_ value: String) -> Int? {
        value.split(separator: ";").first { $0.hasPrefix("r=") }.flatMap { Int($0.dropFirst(2)) }
    }
}
