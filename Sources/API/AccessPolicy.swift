import Auth
import HTTP

/// The role each route needs, in one table: the middleware enforces it, the OpenAPI document
/// declares it (`x-required-role`), and a test walks every route of the router against it.
/// A route missing from the table needs `admin` (fail closed), and so does any path no route
/// matches, once authenticated: unknown paths answer 401 before they answer 404.
public struct AccessPolicy: Sendable {
    /// What a route asks of the caller.
    public enum Requirement: Sendable, Equatable, CustomStringConvertible {
        /// No credential: health, and `/metrics` with `[auth] public_metrics = yes`.
        case anyone
        /// The credential is in the body, not the header: login (a password) and refresh (a refresh token).
        case credentialInBody
        case role(Role)

        public var description: String {
            switch self {
            case .anyone: "none"
            case .credentialInBody: "none (credential in the body)"
            case .role(let role): role.rawValue
            }
        }
    }

    /// `METHOD pattern` -> requirement, as the issue lists them: viewer reads; operator also drives bots and
    /// jobs; admin also changes configuration, accounts and tokens.
    static let table: [String: Requirement] = [
        "GET /api/v1/monitoring/health": .anyone,
        "GET /metrics": .role(.viewer),
        "GET /api/v1/openapi.json": .role(.viewer),
        "GET /api/v1/monitoring/metrics": .role(.viewer),
        "GET /api/v1/monitoring/metrics/series": .role(.viewer),
        "GET /api/v1/logs": .role(.viewer),
        "GET /api/v1/logs/recent": .role(.viewer),
        "GET /api/v1/logs/failed": .role(.viewer),
        "GET /api/v1/logs/user/{user_id}": .role(.viewer),
        "GET /api/v1/logs/stats": .role(.viewer),
        "GET /api/v1/logs/export": .role(.viewer),
        "GET /api/v1/bots": .role(.viewer),
        "GET /api/v1/bots/{name}": .role(.viewer),
        "GET /api/v1/bots/{name}/exits": .role(.viewer),
        "GET /api/v1/jobs": .role(.viewer),
        "GET /api/v1/jobs/{id}": .role(.viewer),
        "POST /api/v1/bots/{name}/start": .role(.operator),
        "POST /api/v1/bots/{name}/stop": .role(.operator),
        "POST /api/v1/bots/{name}/restart": .role(.operator),
        "POST /api/v1/bulk/start": .role(.operator),
        "POST /api/v1/bulk/stop": .role(.operator),
        "POST /api/v1/bulk/restart": .role(.operator),
        "POST /api/v1/bulk/messages": .role(.operator),
        "POST /api/v1/jobs/{id}/cancel": .role(.operator),
        "POST /api/v1/bots": .role(.admin),
        "PATCH /api/v1/bots/{name}": .role(.admin),
        "DELETE /api/v1/bots/{name}": .role(.admin),
        "POST /api/v1/bots/{name}/validate": .role(.admin),
        "POST /api/v1/auth/login": .credentialInBody,
        "POST /api/v1/auth/refresh": .credentialInBody,
        "POST /api/v1/auth/logout": .role(.viewer),
        "GET /api/v1/auth/me": .role(.viewer),
        "POST /api/v1/auth/ws-ticket": .role(.viewer),
        "GET /api/v1/users": .role(.admin),
        "POST /api/v1/users": .role(.admin),
        "PATCH /api/v1/users/{name}": .role(.admin),
        "DELETE /api/v1/users/{name}": .role(.admin),
        "GET /api/v1/tokens": .role(.admin),
        "POST /api/v1/tokens": .role(.admin),
        "POST /api/v1/tokens/{id}/revoke": .role(.admin),
        "GET /api/v1/audit": .role(.admin),
        "GET /api/v1/limits": .role(.admin),
        // The dashboard's static files: the page logs in with the API itself; it holds no data.
        "GET /": .anyone,
        "GET /assets/{file}": .anyone,
        // The live feed: the feed itself narrows topics by role (audit is admin's).
        "GET /api/v1/events": .role(.viewer),
        // Stock (issue 14): viewers read; operators change stock and visibility and refresh displays;
        // admins manage catalogs, products and displays.
        "GET /api/v1/catalogs": .role(.viewer),
        "GET /api/v1/catalogs/{id}": .role(.viewer),
        "GET /api/v1/catalogs/{id}/products": .role(.viewer),
        "GET /api/v1/catalogs/{id}/products/{sku}": .role(.viewer),
        "GET /api/v1/displays": .role(.viewer),
        "GET /api/v1/displays/{id}": .role(.viewer),
        "PATCH /api/v1/catalogs/{id}/products/{sku}": .role(.operator),
        "PUT /api/v1/catalogs/{id}/stock": .role(.operator),
        "POST /api/v1/displays/{id}/refresh": .role(.operator),
        "POST /api/v1/bulk/products/visibility": .role(.operator),
        "POST /api/v1/bulk/displays/refresh": .role(.operator),
        "POST /api/v1/catalogs": .role(.admin),
        "PATCH /api/v1/catalogs/{id}": .role(.admin),
        "DELETE /api/v1/catalogs/{id}": .role(.admin),
        "POST /api/v1/catalogs/{id}/products": .role(.admin),
        "DELETE /api/v1/catalogs/{id}/products/{sku}": .role(.admin),
        "POST /api/v1/displays": .role(.admin),
        "PATCH /api/v1/displays/{id}": .role(.admin),
        "DELETE /api/v1/displays/{id}": .role(.admin),
    ]

    public var publicMetrics: Bool

    public init(publicMetrics: Bool = false) { self.publicMetrics = publicMetrics }

    /// Whether the table names this route (the matrix test requires it of every route).
    public static func isListed(_ method: HTTPMethod, _ pattern: String) -> Bool { table["\(method.rawValue) \(pattern)"] != nil }

    /// What `method` on the route `pattern` needs; nil pattern: no route matched (404 or 405 to come).
    public func requirement(_ method: HTTPMethod, _ pattern: String?) -> Requirement {
        guard let pattern else { return .role(.viewer) }
        // HEAD is answered by the GET route, and needs what GET needs.
        let verb = method == .head ? "GET" : method.rawValue
        if publicMetrics && verb == "GET" && pattern == "/metrics" { return .anyone }
        return AccessPolicy.table["\(verb) \(pattern)"] ?? .role(.admin)
    }
}
