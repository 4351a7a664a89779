import HTTP

/// The dashboard at `/`: static HTML, CSS and JavaScript compiled into the binary (no CDN, no build
/// step), served with a Content-Security-Policy that allows only these files: no inline script or
/// style, no other origin. It is a client of the public API and of `/api/v1/events` like any other.
package enum Dashboard {
    /// `default-src 'none'`: anything not named here is refused. `connect-src 'self'` covers fetch and the
    /// same-origin WebSocket (CSP Level 3 matches ws: and wss: for 'self').
    package static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    package static let files: [String: (type: String, body: [UInt8])] = [
        "app.js": ("text/javascript; charset=utf-8", Array(DashboardAssets.script.utf8)),
        "app.css": ("text/css; charset=utf-8", Array(DashboardAssets.style.utf8)),
    ]

    static func headers(_ type: String) -> HTTPHeaders {
        ["Content-Type": type, "Content-Security-Policy": contentSecurityPolicy, "X-Content-Type-Options": "nosniff",
         "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"]
    }

    package static func register(on router: inout Router) {
        let page = Array(DashboardAssets.html.utf8)
        router.get("/") { request, _ in
            try APIQuery.check(request, allows: [])
            return HTTPResponse(headers: headers("text/html; charset=utf-8"), bytes: page)
        }
        router.get("/assets/{file}") { request, _ in
            try APIQuery.check(request, allows: [])
            guard let name = request.pathParameters["file"], let file = files[name] else {
                throw APIError(.notFound, .notFound, "no dashboard file \(request.pathParameters["file"] ?? "")")
            }
            return HTTPResponse(headers: headers(file.type), bytes: file.body)
        }
    }
}
