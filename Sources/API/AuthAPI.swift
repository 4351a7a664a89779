import Auth
import HTTP
import IPC
import JSON

/// `/api/v1/auth/*` (login, refresh, logout, me) and the admin routes for accounts (`/api/v1/users`)
/// and API tokens (`/api/v1/tokens`). Bodies are strict: unknown fields and wrong types are a 422
/// naming the field, as for bots.
package enum AuthAPI {
    package static func register(on router: inout Router, authenticator auth: Authenticator) {
        router.post("/api/v1/auth/login") { request, context in
            try APIQuery.check(request, allows: [])
            let body = try Body(request, required: ["username", "password"], optional: [])
            let pair = try await auth.login(name: try body.string("username"), password: try body.string("password"),
                                            address: clientHost(context.clientAddress))
            return .json(pair, headers: ["Cache-Control": "no-store"])
        }
        router.post("/api/v1/auth/refresh") { request, _ in
            try APIQuery.check(request, allows: [])
            let body = try Body(request, required: ["refresh_token"], optional: [])
            return .json(try await auth.refresh(try body.string("refresh_token")), headers: ["Cache-Control": "no-store"])
        }
        router.post("/api/v1/auth/logout") { request, _ in
            try APIQuery.check(request, allows: [])
            let body = request.body.isEmpty ? nil : try Body(request, required: [], optional: ["refresh_token"])
            let (_, credential) = try auth.authenticate(authorization: request.headers["Authorization"])
            var claims: JWTClaims? = nil
            if case .accessToken(let c) = credential { claims = c }
            try await auth.logout(claims: claims, refreshToken: try body?.optionalString("refresh_token"))
            return HTTPResponse(status: .noContent)
        }
        router.post("/api/v1/auth/ws-ticket") { request, context in
            try APIQuery.check(request, allows: [])
            guard let principal = context.principal else { throw Authenticator.unauthorized(.authRequired, "this route needs a bearer token") }
            let ticket: JSON = ["ticket": .string(auth.issueTicket(for: principal)),
                                "expires_in": .number(Double(Authenticator.ticketLifetime.components.seconds))]
            return .json(ticket)
        }
        router.get("/api/v1/auth/me") { request, _ in
            try APIQuery.check(request, allows: [])
            let (principal, credential) = try auth.authenticate(authorization: request.headers["Authorization"])
            var me: [String: JSON] = ["subject": .string(principal.subject), "role": .string(principal.role)]
            switch credential {
            case .accessToken(let claims):
                me["kind"] = "access_token"
                me["expires_at"] = .number(Double(claims.expiresAt * 1000))
            case .apiToken(let id, let name):
                me["kind"] = "api_token"
                me["token_id"] = .string(id)
                me["token_name"] = .string(name)
            }
            return .json(JSON.object(me))
        }

        router.get("/api/v1/users") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(["users": try await auth.listAccounts()])
        }
        router.post("/api/v1/users") { request, _ in
            try APIQuery.check(request, allows: [])
            let body = try Body(request, required: ["name", "role", "password"], optional: [])
            let account = try await auth.createAccount(name: try body.string("name"), role: try body.string("role"),
                                                       password: try body.string("password"))
            return .json(account, status: .created, headers: ["Location": "/api/v1/users/\(account.name)"])
        }
        router.patch("/api/v1/users/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            let body = try Body(request, required: [], optional: ["role", "enabled", "password"])
            return .json(try await auth.updateAccount(name: request.pathParameters["name"] ?? "", role: try body.optionalString("role"),
                                                      enabled: try body.optionalBool("enabled"), password: try body.optionalString("password")))
        }
        router.delete("/api/v1/users/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            try await auth.deleteAccount(name: request.pathParameters["name"] ?? "")
            return HTTPResponse(status: .noContent)
        }

        router.get("/api/v1/tokens") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(["tokens": try await auth.listTokens()])
        }
        router.post("/api/v1/tokens") { request, context in
            try APIQuery.check(request, allows: [])
            let body = try Body(request, required: ["name", "role"], optional: ["ttl_seconds"])
            let view = try await auth.createToken(name: try body.string("name"), role: try body.string("role"),
                                                  lifetimeSeconds: try body.optionalInteger("ttl_seconds") ?? 90 * 86_400,
                                                  createdBy: context.principal?.subject)
            return .json(view, status: .created, headers: ["Cache-Control": "no-store"])
        }
        router.post("/api/v1/tokens/{id}/revoke") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(try await auth.revokeToken(id: request.pathParameters["id"] ?? ""))
        }
    }

    /// The host part of `127.0.0.1:53412` or `[::1]:53412`: login failures are counted per address, not per connection.
    static func clientHost(_ address: String?) -> String {
        guard let address else { return "-" }
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") { return String(address[address.index(after: address.startIndex)..<end]) }
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }

    /// A strict JSON object body.
    struct Body {
        var fields: [String: JSON]

        init(_ request: HTTPRequest, required: Set<String>, optional: Set<String>) throws(APIError) {
            guard let json = try? JSON.parse(request.body), let object = json.object else {
                throw APIError(.badRequest, .invalidJSON, "the body must be a JSON object")
            }
            var problems: [APIError.Field] = []
            for key in object.keys.sorted() where !required.contains(key) && !optional.contains(key) {
                problems.append(.init(key, "unknown field"))
            }
            for key in required.sorted() where object[key] == nil { problems.append(.init(key, "required")) }
            guard problems.isEmpty else { throw APIError.validation(problems) }
            fields = object
        }

        func string(_ key: String) throws(APIError) -> String {
            guard let value = fields[key]?.string else { throw APIError.validation([.init(key, "must be a string")]) }
            return value
        }

        func optionalString(_ key: String) throws(APIError) -> String? {
            guard let value = fields[key] else { return nil }
            guard let s = value.string else { throw APIError.validation([.init(key, "must be a string")]) }
            return s
        }

        func optionalBool(_ key: String) throws(APIError) -> Bool? {
            guard let value = fields[key] else { return nil }
            guard let b = value.bool else { throw APIError.validation([.init(key, "must be true or false")]) }
            return b
        }

        func optionalInteger(_ key: String) throws(APIError) -> Int64? {
            guard let value = fields[key] else { return nil }
            guard let d = value.double, d.rounded() == d, abs(d) < 1e15 else { throw APIError.validation([.init(key, "must be an integer")]) }
            return Int64(d)
        }
    }
}
