import Auth
import HTTP
import Logging

/// Authentication and authorization for every route: reads the bearer token, fills
/// `context.principal`, and refuses with 401 (`AUTH_REQUIRED`, `TOKEN_INVALID`, `TOKEN_EXPIRED`, with
/// `WWW-Authenticate: Bearer`) or 403 `FORBIDDEN` naming the role the route needs. Runs inside
/// `ErrorMiddleware`, which renders what it throws; the router has matched the route before any
/// middleware runs, so `context.route` says which rule of the `AccessPolicy` applies.
package struct AuthMiddleware: HTTPMiddleware {
    let authenticator: Authenticator
    let policy: AccessPolicy
    let logger: Logger

    package init(authenticator: Authenticator, policy: AccessPolicy, logger: Logger = Logger(label: "auth")) {
        self.authenticator = authenticator
        self.policy = policy
        self.logger = logger
    }

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        let required: Role
        switch policy.requirement(request.method, context.route) {
        case .anyone, .credentialInBody: return try await next(request, context)
        case .role(let role): required = role
        }
        var principal: Principal
        if request.headers["Authorization"] == nil, context.route == "/api/v1/events", let ticket = request.query("ticket") {
            // A browser's WebSocket cannot carry the header: a single-use ticket from /auth/ws-ticket stands in.
            guard let redeemed = authenticator.redeemTicket(ticket) else {
                throw Authenticator.unauthorized(.tokenInvalid, "the ticket is unknown, spent or expired; ask /api/v1/auth/ws-ticket for another")
            }
            // The credential that asked for the ticket may have been revoked since.
            if let reason = authenticator.revocation(of: redeemed) {
                throw Authenticator.unauthorized(.tokenInvalid, "the ticket's credential no longer works: \(reason)")
            }
            principal = redeemed
        } else {
            let (authenticated, credential) = try authenticator.authenticate(authorization: request.headers["Authorization"])
            principal = authenticated
            // Kept with the principal: a feed ticket carries it, and the feed closes a connection once it is revoked.
            principal.credential = credential
        }
        // Named before the role check: the audit middleware outside reads it, so an access.denied row says who was refused.
        context.principal = principal
        guard let role = Role(rawValue: principal.role), role.allows(required) else {
            logger.notice("access denied", ["request_id": context.requestID, "subject": principal.subject, "role": principal.role,
                                            "required": required.rawValue, "route": context.route ?? request.path])
            throw APIError(.forbidden, .forbidden, "this needs the \(required.rawValue) role; \(principal.subject) has \(principal.role)")
        }
        return try await next(request, context)
    }
}
