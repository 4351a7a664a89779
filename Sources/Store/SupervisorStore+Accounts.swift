import Storage

/// An account that logs in over HTTP. The password is kept only as the self-describing
/// `PasswordHash` string (`pbkdf2-sha256$<iterations>$<salt>$<hash>`); the store never sees a password.
public struct Account: Sendable, Equatable {
    public var name: String
    /// `viewer`, `operator` or `admin` (the Auth module's `Role` raw value).
    public var role: String
    public var passwordHash: String
    public var enabled: Bool
    /// Unix milliseconds.
    public var createdAt: Int64
    public var lastLoginAt: Int64?
    /// Unix seconds: access tokens issued before this are refused.
    public var tokensValidAfter: Int64 = 0

    public init(name: String, role: String, passwordHash: String, enabled: Bool = true, createdAt: Int64, lastLoginAt: Int64? = nil) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.enabled = enabled
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }
}

/// A long-lived API token as stored: the SHA-256 of its secret, never the secret itself.
public struct APITokenRecord: Sendable, Equatable {
    /// A public id (`tok_` + 16 hex digits) to list and revoke it by.
    public var id: String
    /// What the operator called it (`grafana`, `ci`).
    public var name: String
    public var role: String
    public var hash: [UInt8]
    /// Unix milliseconds; `expiresAt` nil means it never expires.
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    /// Who made it: an account name or `control:<uid>`.
    public var createdBy: String?

    public init(id: String, name: String, role: String, hash: [UInt8], createdAt: Int64, expiresAt: Int64?, revokedAt: Int64? = nil,
                createdBy: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.hash = hash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
    }
}

/// What presenting a refresh token found.
public enum RefreshTokenUse: Sendable, Equatable {
    /// The token was unused and is now used: mint the next one in `family` for `account`.
    case fresh(account: String, family: String)
    /// The token was used (or revoked) before: its whole family is now revoked.
    case reused(account: String, family: String)
    case expired
    case unknown
}

extension SupervisorStore {
    /// Migration 8: accounts, API tokens, refresh tokens and revoked access-token ids.
    package static let accountsSchema = """
        CREATE TABLE accounts (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            password_hash TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL,
            last_login_at INTEGER,
            -- Unix seconds: access tokens issued before this (a password change, a disable, a new role) are refused.
            tokens_valid_after INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            -- SHA-256 of the secret: a copy of the database cannot be replayed (OpaqueToken).
            token_hash BLOB NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            revoked_at INTEGER,
            created_by TEXT
        );
        -- Rotating refresh tokens: each use marks the row used and mints the next in the same family;
        -- presenting a used one revokes the whole family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
        CREATE TABLE refresh_tokens (
            token_hash BLOB PRIMARY KEY,
            family TEXT NOT NULL,
            account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
        CREATE INDEX refresh_tokens_account ON refresh_tokens (account);
        -- Access tokens revoked before they expire (logout); a row is useless once `expires_at` passed.
        CREATE TABLE revoked_jtis (
            jti TEXT PRIMARY KEY,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    // MARK: Accounts

    public func accounts() async throws -> [Account] {
        try await queue.read { db in try db.query("SELECT * FROM accounts ORDER BY name").map(SupervisorStore.account) }
    }

    public func account(named name: String) async throws -> Account? {
        try await queue.read { db in try db.first("SELECT * FROM accounts WHERE name = ?", [name]).map(SupervisorStore.account) }
    }

    /// Adds `account`; false when the name is taken.
    public func createAccount(_ account: Account) async throws -> Bool {
        try await queue.write { db in
            try db.execute("""
                INSERT OR IGNORE INTO accounts (name, role, password_hash, enabled, created_at) VALUES (?, ?, ?, ?, ?)
                """, [account.name, account.role, account.passwordHash, account.enabled, account.createdAt])
            return db.changes == 1
        }
    }

    /// Changes what is given; a new password or a disabled account also ends every refresh family
    /// of the account (the caller drops its access tokens). Returns the account as it now is, nil when absent.
    /// Throws `LastAdminError` (and changes nothing) when the change would disable or demote the last
    /// enabled admin account.
    public func updateAccount(_ name: String, role: String? = nil, enabled: Bool? = nil, passwordHash: String? = nil,
                              tokensValidAfter: Int64? = nil) async throws -> Account? {
        try await queue.write { db in
            guard let current = try db.first("SELECT role, enabled FROM accounts WHERE name = ?", [name]) else { return nil }
            let (currentRole, currentlyEnabled): (String, Bool) = (try current.decode("role"), try current.decode("enabled"))
            let keepsAdmin = (role ?? currentRole) == "admin" && (enabled ?? currentlyEnabled)
            if !keepsAdmin { try Self.checkNotLastAdmin(name, db) }
            if let role { try db.execute("UPDATE accounts SET role = ? WHERE name = ?", [role, name]) }
            if let enabled { try db.execute("UPDATE accounts SET enabled = ? WHERE name = ?", [enabled, name]) }
            if let passwordHash { try db.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", [passwordHash, name]) }
            if let tokensValidAfter { try db.execute("UPDATE accounts SET tokens_valid_after = ? WHERE name = ?", [tokensValidAfter, name]) }
            if passwordHash != nil || enabled == false || role != nil {
                try db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE account = ?", [name])
            }
            return try db.first("SELECT * FROM accounts WHERE name = ?", [name]).map(SupervisorStore.account)
        }
    }

    /// Removes the account and its refresh tokens; false when absent. Throws `LastAdminError` (and
    /// removes nothing) for the last enabled admin account.
    public func deleteAccount(_ name: String) async throws -> Bool {
        try await queue.write { db in
            try Self.checkNotLastAdmin(name, db)
            try db.execute("DELETE FROM refresh_tokens WHERE account = ?", [name])
            try db.execute("DELETE FROM accounts WHERE name = ?", [name])
            return db.changes == 1
        }
    }

    /// Throws when `name` is an enabled admin and no other enabled admin account exists. It runs in the
    /// write transaction of the change, so two admins removing each other at once cannot both succeed.
    static func checkNotLastAdmin(_ name: String, _ db: Database) throws {
        guard let row = try db.first("SELECT role, enabled FROM accounts WHERE name = ?", [name]),
              try row.decode("role", as: String.self) == "admin", try row.decode("enabled", as: Bool.self) else { return }
        let others = try db.first("SELECT count(*) FROM accounts WHERE role = 'admin' AND enabled = 1 AND name != ?", [name])?
            .decode(0, as: Int64.self) ?? 0
        if others == 0 { throw LastAdminError(account: name) }
    }

    public func recordLogin(_ name: String, at millis: Int64) async throws {
        try await queue.write { db in try db.execute("UPDATE accounts SET last_login_at = ? WHERE name = ?", [millis, name]) }
    }

    static func account(_ row: Row) throws -> Account {
        var account = Account(name: try row.decode("name"), role: try row.decode("role"), passwordHash: try row.decode("password_hash"),
                enabled: try row.decode("enabled", as: Bool.self), createdAt: try row.decode("created_at"),
                lastLoginAt: try row.decode("last_login_at", as: Int64?.self))
        account.tokensValidAfter = try row.decode("tokens_valid_after")
        return account
    }

    // MARK: API tokens

    public func apiTokens() async throws -> [APITokenRecord] {
        try await queue.read { db in
            try db.query("SELECT * FROM api_tokens ORDER BY created_at, id").map { row in
                APITokenRecord(id: try row.decode("id"), name: try row.decode("name"), role: try row.decode("role"),
                               hash: try row.decode("token_hash", as: [UInt8].self), createdAt: try row.decode("created_at"),
                               expiresAt: try row.decode("expires_at", as: Int64?.self), revokedAt: try row.decode("revoked_at", as: Int64?.self),
                               createdBy: try row.decode("created_by", as: String?.self))
            }
        }
    }

    public func createAPIToken(_ token: APITokenRecord) async throws {
        try await queue.write { db in
            try db.execute("""
                INSERT INTO api_tokens (id, name, role, token_hash, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [token.id, token.name, token.role, token.hash, token.createdAt, token.expiresAt, token.createdBy])
        }
    }

    /// Marks the token revoked; false when there is no such token or it was revoked already.
    public func revokeAPIToken(id: String, at millis: Int64) async throws -> Bool {
        try await queue.write { db in
            try db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [millis, id])
            return db.changes == 1
        }
    }

    // MARK: Refresh tokens

    public func insertRefreshToken(hash: [UInt8], family: String, account: String, createdAt: Int64, expiresAt: Int64) async throws {
        try await queue.write { db in
            try db.execute("""
                INSERT INTO refresh_tokens (token_hash, family, account, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                """, [hash, family, account, createdAt, expiresAt])
        }
    }

    /// Uses a refresh token once, in one transaction: a second use (a stolen copy, or the victim after
    /// the thief) revokes the whole family, so neither party can go on refreshing.
    public func useRefreshToken(hash: [UInt8], now millis: Int64) async throws -> RefreshTokenUse {
        try await queue.write { db in
            guard let row = try db.first("SELECT family, account, expires_at, used_at, revoked FROM refresh_tokens WHERE token_hash = ?", [hash]) else {
                return .unknown
            }
            let family: String = try row.decode("family")
            let account: String = try row.decode("account")
            if try row.decode("used_at", as: Int64?.self) != nil || row.decode("revoked", as: Bool.self) {
                try db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", [family])
                return .reused(account: account, family: family)
            }
            guard try row.decode("expires_at", as: Int64.self) > millis else { return .expired }
            try db.execute("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", [millis, hash])
            return .fresh(account: account, family: family)
        }
    }

    /// Ends the family the token belongs to (logout); false when the token is unknown.
    public func revokeRefreshFamily(of hash: [UInt8]) async throws -> Bool {
        try await queue.write { db in
            guard let family = try db.first("SELECT family FROM refresh_tokens WHERE token_hash = ?", [hash])?.decode("family", as: String.self) else {
                return false
            }
            try db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", [family])
            return true
        }
    }

    /// Drops refresh tokens that expired before `millis` (they can be neither used nor reused).
    public func pruneRefreshTokens(before millis: Int64) async throws {
        try await queue.write { db in try db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", [millis]) }
    }

    // MARK: Revoked access tokens

    public func revokeJTI(_ jti: String, expiresAt seconds: Int64) async throws {
        try await queue.write { db in
            try db.execute("INSERT OR IGNORE INTO revoked_jtis (jti, expires_at) VALUES (?, ?)", [jti, seconds])
        }
    }

    /// The revoked ids still worth remembering at `seconds` (Unix seconds); expired ones are deleted.
    public func revokedJTIs(now seconds: Int64) async throws -> [String: Int64] {
        try await queue.write { db in
            try db.execute("DELETE FROM revoked_jtis WHERE expires_at < ?", [seconds])
            var out: [String: Int64] = [:]
            for row in try db.query("SELECT jti, expires_at FROM revoked_jtis") { out[try row.decode("jti")] = try row.decode("expires_at") }
            return out
        }
    }
}
