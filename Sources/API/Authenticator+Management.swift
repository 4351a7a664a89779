import Auth
import Crypto
import HTTP
import IPC
import Store

/// Accounts, API tokens and the signing key, managed by admins over HTTP and by `botvisorctl` over the
/// control socket through these same functions. Each change is committed to the store first and then
/// applied to the in-memory state, so it holds from the next request on.
extension Authenticator {
    /// An account as the API and the control socket show it: never its password hash.
    public struct AccountView: Sendable, Encodable, Equatable {
        public var name: String
        public var role: String
        public var enabled: Bool
        /// Unix milliseconds.
        public var created_at: Int64
        public var last_login_at: Int64?

        init(_ a: Account) {
            name = a.name
            role = a.role
            enabled = a.enabled
            created_at = a.createdAt
            last_login_at = a.lastLoginAt
        }
    }

    /// An API token as listed: never its secret (shown once, at creation) nor its hash.
    public struct TokenView: Sendable, Encodable, Equatable {
        public var id: String
        public var name: String
        public var role: String
        public var created_at: Int64
        public var expires_at: Int64?
        public var revoked_at: Int64?
        public var created_by: String?
        /// Only in the answer to the creation: the token itself.
        public var token: String?

        init(_ t: APITokenRecord, token: String? = nil) {
            id = t.id
            name = t.name
            role = t.role
            created_at = t.createdAt
            expires_at = t.expiresAt
            revoked_at = t.revokedAt
            created_by = t.createdBy
            self.token = token
        }
    }

    /// Account names: what a person types at a login prompt.
    public static let accountNamePattern = "^[a-z0-9][a-z0-9._-]{0,63}$"
    /// Token names: what an operator calls a script.
    public static let tokenNamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    /// NIST SP 800-63B §3.1.1.2 asks for at least 8 characters and at least 64 allowed; 12 is today's
    /// common floor. The upper bound only keeps request bodies small (PBKDF2 hashes a long key once).
    public static let passwordLength = 12...1024
    /// API token lifetimes: a minute to ten years.
    public static let tokenLifetime: ClosedRange<Int64> = 60...(3650 * 86_400)

    static func matches(_ value: String, _ pattern: String, first: (Character) -> Bool, rest: (Character) -> Bool) -> Bool {
        guard let head = value.first, value.count <= 64, first(head) else { return false }
        return value.dropFirst().allSatisfy(rest)
    }

    static func isAccountName(_ s: String) -> Bool {
        matches(s, accountNamePattern, first: { ($0.isASCII && $0.isLowercase) || ($0.isASCII && $0.isNumber) },
                rest: { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "_" || $0 == "-" })
    }

    static func isTokenName(_ s: String) -> Bool {
        matches(s, tokenNamePattern, first: { $0.isASCII && ($0.isLetter || $0.isNumber) },
                rest: { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "_" || $0 == "-" })
    }

    static func role(_ name: String?, field: String = "role") throws(APIError) -> Role {
        guard let name, let role = Role(rawValue: name) else {
            throw APIError.validation([.init(field, "viewer, operator or admin")])
        }
        return role
    }

    static func checkPassword(_ password: String, field: String = "password") throws(APIError) {
        // Counted in code points, as JSON Schema's minLength counts them (the OpenAPI document states the range).
        guard passwordLength.contains(password.unicodeScalars.count) else {
            throw APIError.validation([.init(field, "\(passwordLength.lowerBound) to \(passwordLength.upperBound) characters")])
        }
    }

    // MARK: Accounts

    public func listAccounts() async throws -> [AccountView] {
        try await store.accounts().map(AccountView.init)
    }

    public func createAccount(name: String, role roleName: String, password: String) async throws -> AccountView {
        var problems: [APIError.Field] = []
        if !Authenticator.isAccountName(name) { problems.append(.init("name", "1-64 of a-z, 0-9, ., _ and -, starting with a letter or digit")) }
        if Role(rawValue: roleName) == nil { problems.append(.init("role", "viewer, operator or admin")) }
        if !Authenticator.passwordLength.contains(password.unicodeScalars.count) {
            problems.append(.init("password", "\(Authenticator.passwordLength.lowerBound) to \(Authenticator.passwordLength.upperBound) characters"))
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let hash = try await hashing.run { PasswordHash(password: password).encoded }
        let account = Account(name: name, role: roleName, passwordHash: hash, createdAt: now() * 1000)
        guard try await store.createAccount(account) else { throw APIError(.conflict, .userExists, "an account named \(name) exists") }
        state.withLock { $0.accounts[name] = AccountState(role: Role(rawValue: roleName)!, enabled: true, tokensValidAfter: 0) }
        logger.notice("account created", ["account": name, "role": roleName])
        return AccountView(account)
    }

    /// Changes role, enabled and password (each optional). Access tokens issued before the change
    /// stop working, and the account's refresh tokens are revoked.
    public func updateAccount(name: String, role roleName: String? = nil, enabled: Bool? = nil, password: String? = nil) async throws -> AccountView {
        let role = try roleName.map { name throws(APIError) in try Authenticator.role(name) }
        if let password { try Authenticator.checkPassword(password) }
        // An unknown account is refused before the (slow) hash is made.
        guard try await store.account(named: name) != nil else { throw APIError(.notFound, .userNotFound, "no account named \(name)") }
        let hash: String? = if let password { try await hashing.run { PasswordHash(password: password).encoded } } else { nil }
        // iat is whole seconds: every token issued up to the end of this second is cut off (a token minted just
        // before the change must not survive it); a login right after the change waits for the next second (`mintPair`).
        let changes = role != nil || enabled != nil || hash != nil
        let validAfter: Int64? = changes ? now() + 1 : nil
        let updated: Account?
        do {
            updated = try await store.updateAccount(name, role: role?.rawValue, enabled: enabled, passwordHash: hash, tokensValidAfter: validAfter)
        } catch let error as LastAdminError {
            throw Authenticator.lastAdmin(error)
        }
        guard let account = updated else { throw APIError(.notFound, .userNotFound, "no account named \(name)") }
        state.withLock { s in
            s.accounts[name] = AccountState(role: Role(rawValue: account.role) ?? .viewer, enabled: account.enabled,
                                            tokensValidAfter: account.tokensValidAfter)
            if password != nil { s.throttle.reset(account: name) }
        }
        logger.notice("account changed", ["account": name, "role": account.role, "enabled": account.enabled, "password_changed": password != nil])
        return AccountView(account)
    }

    public func deleteAccount(name: String) async throws {
        let deleted: Bool
        do { deleted = try await store.deleteAccount(name) } catch let error as LastAdminError { throw Authenticator.lastAdmin(error) }
        guard deleted else { throw APIError(.notFound, .userNotFound, "no account named \(name)") }
        state.withLock { _ = $0.accounts.removeValue(forKey: name) }
        logger.notice("account deleted", ["account": name])
    }

    /// 409 `LAST_ADMIN`: the store refused to leave no enabled admin account.
    static func lastAdmin(_ error: LastAdminError) -> APIError {
        APIError(.conflict, .lastAdmin, error.description)
    }

    // MARK: API tokens

    public func listTokens() async throws -> [TokenView] {
        try await store.apiTokens().map { TokenView($0) }
    }

    /// Makes an API token; the answer carries the token itself, which is never shown again.
    public func createToken(name: String, role roleName: String, lifetimeSeconds: Int64?, createdBy: String?) async throws -> TokenView {
        var problems: [APIError.Field] = []
        if !Authenticator.isTokenName(name) { problems.append(.init("name", "1-64 of A-Z, a-z, 0-9, ., _ and -, starting with a letter or digit")) }
        if Role(rawValue: roleName) == nil { problems.append(.init("role", "viewer, operator or admin")) }
        if let lifetimeSeconds, !Authenticator.tokenLifetime.contains(lifetimeSeconds) {
            problems.append(.init("ttl_seconds", "60 to \(Authenticator.tokenLifetime.upperBound) seconds (ten years)"))
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let secret = OpaqueToken.generate(.api)
        let now = self.now()
        let record = APITokenRecord(id: "tok_" + SecureRandom.bytes(8).map { byte in String(byte >> 4, radix: 16) + String(byte & 15, radix: 16) }.joined(), name: name, role: roleName, hash: secret.storedHash,
                                    createdAt: now * 1000, expiresAt: lifetimeSeconds.map { (now + $0) * 1000 }, createdBy: createdBy)
        try await store.createAPIToken(record)
        state.withLock { $0.tokens[record.hash] = Authenticator.tokenState(record) }
        logger.notice("API token created", ["token_id": record.id, "token_name": name, "role": roleName])
        return TokenView(record, token: secret.printed)
    }

    /// Revokes an API token: the next request that presents it is refused.
    public func revokeToken(id: String) async throws -> TokenView {
        let revoked = try await store.revokeAPIToken(id: id, at: now() * 1000)
        guard let record = try await store.apiTokens().first(where: { $0.id == id }) else {
            throw APIError(.notFound, .apiTokenNotFound, "no API token with id \(id)")
        }
        state.withLock { $0.tokens[record.hash] = Authenticator.tokenState(record) }
        if revoked { logger.notice("API token revoked", ["token_id": id, "token_name": record.name]) }
        return TokenView(record)
    }

    // MARK: The signing key

    /// Makes a new signing key current. The previous one keeps verifying the access tokens it signed
    /// until the longest of them expires (lifetime plus leeway), then stops. Answers the new key's id.
    public func rotateKey() throws -> String {
        let until = now() + settings.accessTokenLifetime.components.seconds + JWTKeyRing.leeway
        let key = try SigningKey.generate(id: JWTKeyFile.newKeyID())
        return try state.withLock { s in
            var ring = s.keyRing
            ring.removeRetired(now: now())
            ring.rotate(to: key, previousValidUntil: until)
            try JWTKeyFile.write(ring, to: keyFile)
            s.keyRing = ring
            s.verified.removeAll()
            logger.notice("JWT signing key rotated", ["kid": key.id, "previous_valid_until": until])
            return key.id
        }
    }

    /// The ids of the keys that verify now, the current one first.
    public var keyIDs: [String] { state.withLock { $0.keyRing.keyIDs } }
}
