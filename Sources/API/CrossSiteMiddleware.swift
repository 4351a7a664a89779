import HTTP
import IPC

/// Keeps web pages on other sites away from the API, before anything else looks at a request:
/// - the `Host` header must name this server (`[http] allowed_hosts`), else 421 `MISDIRECTED_REQUEST`:
///   a DNS-rebinding page reaches 127.0.0.1 under its own name, and is refused here;
/// - a body (or a declared `Content-Type`) on POST, PUT, PATCH or DELETE must be `application/json`, else
///   415 `UNSUPPORTED_MEDIA_TYPE`: a cross-site form or `text/plain` POST needs no CORS preflight, but
///   cannot send that type without one (Fetch standard, "CORS-safelisted request-header");
/// - a state-changing request (or a WebSocket upgrade) from a browser whose `Origin` is neither this
///   server nor listed in `[http] cors_origins` is 403 `ORIGIN_NOT_ALLOWED`;
/// - CORS headers go only to origins listed in `cors_origins`, and only their preflights are answered.
package struct CrossSiteMiddleware: HTTPMiddleware {
    package struct Settings: Sendable, Equatable {
        /// `name` (any port) or `name:port`, lowercased; IPv6 literals in brackets (`[::1]:8750`).
        package var allowedHosts: [String]
        /// Full origins (`https://grafana.example.com`), compared exactly (lowercased).
        package var corsOrigins: [String] = []
        package init(allowedHosts: [String], corsOrigins: [String] = []) {
            self.allowedHosts = allowedHosts.map { $0.lowercased() }
            self.corsOrigins = corsOrigins.map { $0.lowercased() }
        }

        /// The default: the listen address and the loopback names, each with the bound port.
        package static func defaultHosts(listenHost: String, port: Int) -> [String] {
            let host = listenHost.contains(":") ? "[\(listenHost)]" : listenHost
            var hosts = ["\(host):\(port)", "localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)"]
            // Port 80 and 443 may be left out of a Host header (RFC 9110 §7.2).
            if port == 80 || port == 443 { hosts += [host, "localhost", "127.0.0.1", "[::1]"] }
            var seen = Set<String>()
            return hosts.map { $0.lowercased() }.filter { seen.insert($0).inserted }
        }

        /// Whether `authority` (`host[:port]`, from a Host header or an origin) names this server.
        package func allows(authority: String) -> Bool {
            let authority = authority.lowercased()
            if allowedHosts.contains(authority) { return true }
            // An entry without a port allows its name on any port.
            let name: Substring
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                name = authority[...close]
            } else {
                name = authority.split(separator: ":", maxSplits: 1).first ?? Substring(authority)
            }
            return allowedHosts.contains(String(name))
        }
    }

    let settings: Settings

    package init(_ settings: Settings) { self.settings = settings }

    static let allowedMethods = "GET, POST, PUT, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
    static let exposedHeaders = "X-Request-Id, Location, Retry-After, RateLimit, RateLimit-Policy"

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400; HTTP/1.0 has none to check.
        if let host = request.headers["Host"] {
            guard settings.allows(authority: host) else {
                throw APIError(.misdirectedRequest, .misdirectedRequest,
                               "this server does not answer for host \(String(host.prefix(100))); see [http] allowed_hosts")
            }
        } else if request.version != "HTTP/1.0" {
            throw APIError(.badRequest, .badRequest, "an HTTP/1.1 request needs a Host header")
        }
        let origin = request.headers["Origin"]?.lowercased()
        let listed = origin.map { settings.corsOrigins.contains($0) } ?? false
        // A CORS preflight (Fetch standard §3.2.2) for a listed origin; anyone else's falls through to a 405.
        if request.method == .options, listed, let origin, request.headers["Access-Control-Request-Method"] != nil {
            var headers = corsHeaders(origin)
            headers.set("Access-Control-Allow-Methods", CrossSiteMiddleware.allowedMethods)
            headers.set("Access-Control-Allow-Headers", CrossSiteMiddleware.allowedHeaders)
            headers.set("Access-Control-Max-Age", "600")
            return HTTPResponse(status: .noContent, headers: headers)
        }
        let changes = ![.get, .head, .options].contains(request.method)
        let upgrade = request.headers.contains("Connection", token: "upgrade")
        if changes || upgrade, let origin, !listed, !isSameOrigin(origin) {
            throw APIError(.forbidden, .originNotAllowed,
                           "requests from origin \(String(origin.prefix(100))) are not allowed; see [http] cors_origins")
        }
        if changes {
            let type = request.headers["Content-Type"]
            if !request.body.isEmpty || type != nil {
                let mediaType = type?.split(separator: ";", maxSplits: 1).first?.trimmingSpaces().lowercased()
                guard mediaType == "application/json" else {
                    var headers = HTTPHeaders()
                    // RFC 9110 §15.5.16 and RFC 5789 §3.1: say which media type would be accepted.
                    headers.set(request.method == .patch ? "Accept-Patch" : "Accept-Post", "application/json")
                    throw APIError(.unsupportedMediaType, .unsupportedMediaType,
                                   "the body must be application/json\(type.map { ", not \(String($0.prefix(100)))" } ?? "")",
                                   headers: headers)
                }
            }
        }
        var response: HTTPResponse
        do {
            response = try await next(request, context)
        } catch {
            // A listed origin may read the error body too. A 500 stays as thrown: the error middleware logs its cause.
            guard listed, let origin else { throw error }
            var refusal = APIError(mapping: error)
            guard refusal.status.code < 500 else { throw error }
            for (name, value) in corsHeaders(origin) { refusal.headers.set(name, value) }
            throw refusal
        }
        if listed, let origin {
            for (name, value) in corsHeaders(origin) { response.headers.set(name, value) }
        }
        return response
    }

    /// An origin (`http://127.0.0.1:8750`) whose authority is one of this server's names.
    func isSameOrigin(_ origin: String) -> Bool {
        let authority: Substring
        if origin.hasPrefix("http://") { authority = origin.dropFirst(7) } else if origin.hasPrefix("https://") { authority = origin.dropFirst(8) } else { return false }
        return !authority.isEmpty && !authority.contains("/") && settings.allows(authority: String(authority))
    }

    func corsHeaders(_ origin: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.set("Access-Control-Allow-Origin", origin)
        headers.set("Access-Control-Expose-Headers", CrossSiteMiddleware.exposedHeaders)
        // The answer depends on Origin: caches must keep one per origin.
        headers.set("Vary", "Origin")
        return headers
    }
}
