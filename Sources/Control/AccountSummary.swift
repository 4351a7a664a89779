/// An HTTP API account as the control socket shows it (`botvisorctl user list`): never its password.
public struct AccountSummary: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    public var enabled: Bool
    /// Unix milliseconds.
    public var createdAt: Int64
    public var lastLoginAt: Int64?

    public init(name: String, role: String, enabled: Bool, createdAt: Int64, lastLoginAt: Int64?) {
        self.name = name
        self.role = role
        self.enabled = enabled
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }

    enum CodingKeys: String, CodingKey {
        case name, role, enabled
        case createdAt = "created_at"
        case lastLoginAt = "last_login_at"
    }
}

/// An API token as the control socket shows it (`botvisorctl token list`): its id, name and role,
/// never the secret, except in the reply to `token.create`, which carries it in `token` once.
public struct APITokenSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: String
    /// Unix milliseconds.
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    public var createdBy: String?
    public var token: String?

    public init(id: String, name: String, role: String, createdAt: Int64, expiresAt: Int64?, revokedAt: Int64?, createdBy: String?,
                token: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, name, role, token
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case createdBy = "created_by"
    }
}
