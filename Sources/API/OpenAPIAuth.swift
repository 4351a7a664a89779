import Auth
import HTTP
import IPC
import JSON

/// The OpenAPI description of authentication (`AuthAPI`), and the security of every operation: the
/// bearer scheme, `security` per operation, the role each needs (`x-required-role`, from the
/// `AccessPolicy` table the middleware enforces) and its 401 and 403 answers.
package enum OpenAPIAuth {
    package static let errorCodes = [ErrorCode.authRequired, .tokenInvalid, .tokenExpired, .forbidden, .refreshReused, .loginFailed,
                                     .loginLocked, .userNotFound, .userExists, .lastAdmin, .apiTokenNotFound].map(\.rawValue)

    static func ref(_ name: String) -> JSON { OpenAPIManagement.ref(name) }
    static func json(_ schema: JSON, _ description: String) -> JSON { OpenAPIManagement.json(schema, description) }
    static let error = OpenAPIManagement.error
    static func body(_ schema: JSON) -> JSON { OpenAPIManagement.body(schema) }
    static let userName: JSON = ["name": "name", "in": "path", "required": true, "schema": ["type": "string"]]
    static let tokenID: JSON = ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]

    package static var paths: [String: JSON] {
        let pair = json(ref("TokenPair"), "An access token (JWT, HS256) and a single-use refresh token")
        let locked: JSON = ["description": "Too many failed logins for the account or this address (LOGIN_LOCKED)",
                            "headers": ["Retry-After": ["description": "Seconds until a login may be tried again", "schema": ["type": "integer"]]],
                            "content": ["application/json": ["schema": ref("Error")]]]
        let account = json(ref("Account"), "The account (never its password)")
        let lastAdmin = json(ref("Error"), "LAST_ADMIN: the change would leave no enabled admin account (deleting, disabling or demoting the last one)")
        return [
            "/api/v1/auth/login": ["post": [
                "summary": "Log in with an account's name and password", "requestBody": body(ref("Login")),
                "responses": ["200": pair, "401": json(ref("Error"), "Wrong name or password (LOGIN_FAILED)"), "422": error, "429": locked]]],
            "/api/v1/auth/refresh": ["post": [
                "summary": "Trade a refresh token for a new pair; the old one is spent, and presenting it again revokes every token of the login (REFRESH_REUSED)",
                "requestBody": body(ref("Refresh")),
                "responses": ["200": pair, "401": json(ref("Error"), "Unknown, expired or reused refresh token"), "422": error]]],
            "/api/v1/auth/logout": ["post": [
                "summary": "End the login: the access token presented, and the refresh token's family when given, stop working",
                "requestBody": ["required": false, "content": ["application/json": ["schema": ref("Logout")]]],
                "responses": ["204": ["description": "Logged out"], "422": error]]],
            "/api/v1/auth/ws-ticket": ["post": [
                "summary": "A single-use ticket, valid 30 s, that opens GET /api/v1/events?ticket=... once as this principal (browsers cannot set headers on a WebSocket)",
                "responses": ["200": json(["type": "object", "required": ["ticket", "expires_in"], "additionalProperties": false,
                                           "properties": ["ticket": ["type": "string"], "expires_in": ["type": "integer"]]], "The ticket")]]],
            "/api/v1/auth/me": ["get": [
                "summary": "Who the bearer token speaks for", "responses": ["200": json(ref("Me"), "The principal")]]],
            "/api/v1/users": [
                "get": ["summary": "Every account", "responses": ["200": json(["type": "object", "required": ["users"], "additionalProperties": false,
                                                                               "properties": ["users": ["type": "array", "items": ref("Account")]]], "Accounts")]],
                "post": ["summary": "Create an account", "requestBody": body(ref("AccountCreate")),
                         "responses": ["201": ["description": "The account",
                                               "headers": ["Location": ["description": "/api/v1/users/{name}", "schema": ["type": "string"]]],
                                               "content": ["application/json": ["schema": ref("Account")]]],
                                       "409": error, "422": error]],
            ],
            "/api/v1/users/{name}": [
                "patch": ["summary": "Change an account's role, enabled state or password; its tokens issued before stop working",
                          "parameters": [userName], "requestBody": body(ref("AccountPatch")),
                          "responses": ["200": account, "404": error, "409": lastAdmin, "422": error]],
                "delete": ["summary": "Delete an account", "parameters": [userName],
                           "responses": ["204": ["description": "Deleted"], "404": error, "409": lastAdmin]],
            ],
            "/api/v1/tokens": [
                "get": ["summary": "Every API token (never the token itself)",
                        "responses": ["200": json(["type": "object", "required": ["tokens"], "additionalProperties": false,
                                                   "properties": ["tokens": ["type": "array", "items": ref("APIToken")]]], "API tokens")]],
                "post": ["summary": "Create a long-lived API token; the answer shows it once", "requestBody": body(ref("APITokenCreate")),
                         "responses": ["201": json(ref("APIToken"), "The token's record, with `token` (shown only here)"), "422": error]],
            ],
            "/api/v1/tokens/{id}/revoke": ["post": [
                "summary": "Revoke an API token: the next request presenting it is refused", "parameters": [tokenID],
                "responses": ["200": json(ref("APIToken"), "The revoked token's record"), "404": error]]],
        ]
    }

    package static var schemas: [String: JSON] {
        let role: JSON = ["type": "string", "enum": .array(Role.allCases.map { .string($0.rawValue) })]
        let time: JSON = ["type": "integer", "description": "Unix milliseconds"]
        let password: JSON = ["type": "string", "minLength": .number(Double(Authenticator.passwordLength.lowerBound)),
                              "maxLength": .number(Double(Authenticator.passwordLength.upperBound)), "writeOnly": true]
        return [
            "Login": ["type": "object", "additionalProperties": false, "required": ["username", "password"],
                      "properties": ["username": ["type": "string"], "password": ["type": "string", "writeOnly": true]]],
            "Refresh": ["type": "object", "additionalProperties": false, "required": ["refresh_token"],
                        "properties": ["refresh_token": ["type": "string"]]],
            "Logout": ["type": "object", "additionalProperties": false, "properties": ["refresh_token": ["type": "string"]]],
            "TokenPair": ["type": "object", "additionalProperties": false,
                          "required": ["access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in", "role"],
                          "properties": ["access_token": ["type": "string"], "token_type": ["const": "Bearer"],
                                         "expires_in": ["type": "integer", "description": "Seconds"], "refresh_token": ["type": "string"],
                                         "refresh_expires_in": ["type": "integer", "description": "Seconds"], "role": role]],
            "Me": ["type": "object", "additionalProperties": false, "required": ["subject", "role", "kind"],
                   "properties": ["subject": ["type": "string", "description": "The account, or token:<name> for an API token"], "role": role,
                                  "kind": ["type": "string", "enum": ["access_token", "api_token"]], "expires_at": time,
                                  "token_id": ["type": "string"], "token_name": ["type": "string"]]],
            "Account": ["type": "object", "additionalProperties": false, "required": ["name", "role", "enabled", "created_at"],
                        "properties": ["name": ["type": "string"], "role": role, "enabled": ["type": "boolean"], "created_at": time,
                                       "last_login_at": time]],
            "AccountCreate": ["type": "object", "additionalProperties": false, "required": ["name", "role", "password"],
                              "properties": ["name": ["type": "string", "pattern": .string(Authenticator.accountNamePattern)], "role": role,
                                             "password": password]],
            "AccountPatch": ["type": "object", "additionalProperties": false, "description": "Every field is optional; an account cannot be renamed",
                             "properties": ["role": role, "enabled": ["type": "boolean"], "password": password]],
            "APIToken": ["type": "object", "additionalProperties": false, "required": ["id", "name", "role", "created_at"],
                         "properties": ["id": ["type": "string"], "name": ["type": "string"], "role": role, "created_at": time,
                                        "expires_at": time, "revoked_at": time, "created_by": ["type": "string"],
                                        "token": ["type": "string", "description": "The token (bva_...), only in the answer to its creation"]]],
            "APITokenCreate": ["type": "object", "additionalProperties": false, "required": ["name", "role"],
                               "properties": ["name": ["type": "string", "pattern": .string(Authenticator.tokenNamePattern)], "role": role,
                                              "ttl_seconds": ["type": "integer", "minimum": .number(Double(Authenticator.tokenLifetime.lowerBound)),
                                                              "maximum": .number(Double(Authenticator.tokenLifetime.upperBound)),
                                                              "default": 7_776_000, "description": "Lifetime; 90 days when left out"]]],
        ]
    }

    /// Adds the auth paths and schemas, the bearer scheme, and to every operation its `security`,
    /// `x-required-role` and 401/403 answers (login and refresh carry their credential in the body).
    package static func merge(into document: JSON) -> JSON {
        guard var doc = document.object, var paths = doc["paths"]?.object, var components = doc["components"]?.object,
              var schemas = components["schemas"]?.object else { return document }
        paths.merge(self.paths) { $1 }
        schemas.merge(self.schemas) { $1 }
        let policy = AccessPolicy()
        let unauthorized: JSON = [
            "description": "No bearer token (AUTH_REQUIRED), or one that is invalid (TOKEN_INVALID) or expired (TOKEN_EXPIRED)",
            "headers": ["WWW-Authenticate": ["description": "Bearer", "schema": ["type": "string"]]],
            "content": ["application/json": ["schema": ref("Error")]]]
        let forbidden = json(ref("Error"), "The token's role is below the one this operation needs (FORBIDDEN)")
        for (path, item) in paths {
            guard var operations = item.object else { continue }
            for (method, operation) in operations {
                guard var op = operation.object, var responses = op["responses"]?.object else { continue }
                switch policy.requirement(HTTPMethod(method.uppercased()), path) {
                case .anyone, .credentialInBody:
                    op["security"] = []
                    op["x-required-role"] = "none"
                case .role(let role):
                    op["security"] = [["bearerAuth": []]]
                    op["x-required-role"] = .string(role.rawValue)
                    if responses["401"] == nil { responses["401"] = unauthorized }
                    if role != .viewer && responses["403"] == nil { responses["403"] = forbidden }
                }
                op["responses"] = .object(responses)
                operations[method] = .object(op)
            }
            paths[path] = .object(operations)
        }
        components["schemas"] = .object(schemas)
        components["securitySchemes"] = ["bearerAuth": ["type": "http", "scheme": "bearer",
                                                        "description": "An access token from POST /api/v1/auth/login (JWT, HS256), or an API token (bva_...)"]]
        doc["paths"] = .object(paths)
        doc["components"] = .object(components)
        doc["security"] = [["bearerAuth": []]]
        return .object(doc)
    }
}
