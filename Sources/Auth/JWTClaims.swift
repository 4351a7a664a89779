import Crypto

/// The claims botvisor puts in, and requires of, an access token (RFC 7519 §4.1
/// plus `role`). Times are NumericDate: whole seconds since the Unix epoch.
public struct JWTClaims: Sendable, Equatable {
    /// `iss`: who minted the token (the daemon's configured issuer).
    public var issuer: String
    /// `sub`: the account or API token the token speaks for.
    public var subject: String
    /// `role`: what the bearer may do.
    public var role: Role
    /// `iat`, `nbf`, `exp`: Unix seconds.
    public var issuedAt: Int64
    public var notBefore: Int64
    public var expiresAt: Int64
    /// `jti`: a unique id, so one token can be revoked.
    public var id: String

    public init(issuer: String, subject: String, role: Role, issuedAt: Int64, notBefore: Int64? = nil,
                expiresAt: Int64, id: String) {
        self.issuer = issuer
        self.subject = subject
        self.role = role
        self.issuedAt = issuedAt
        self.notBefore = notBefore ?? issuedAt
        self.expiresAt = expiresAt
        self.id = id
    }

    /// Claims for a fresh token valid for `lifetime` seconds from `now`, with a random `jti`.
    public static func fresh(issuer: String, subject: String, role: Role, now: Int64, lifetime: Int64) -> JWTClaims {
        JWTClaims(issuer: issuer, subject: subject, role: role, issuedAt: now, expiresAt: now + lifetime,
                  id: Base64URL.encode(SecureRandom.bytes(16)))
    }
}
