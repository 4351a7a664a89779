import Auth
import Crypto
import HTTP
import IOCore
import IPC
import Logging
import Store
import Synchronization

/// Who may use the HTTP API: verifies bearer tokens (HS256 access tokens and `bva_` API tokens) into a
/// `Principal`, logs accounts in with rotating refresh tokens, and manages accounts, API tokens and the
/// signing key for the HTTP routes and the control socket alike (one code path for both).
///
/// What every request needs (the key ring, each account's role and state, the API tokens' hashes,
/// the revoked access-token ids) is kept in memory behind one lock, loaded at start and changed only
/// through this type after the store committed, so a token's first check costs one HMAC and a few
/// dictionary lookups, a token seen before only the lookups (`VerifiedTokenCache`), and a revocation
/// applies to the very next request.
public final class Authenticator: Sendable {
    /// Token lifetimes and what `/metrics` needs.
    public struct Settings: Sendable, Equatable {
        public var accessTokenLifetime: Duration = .seconds(15 * 60)
        public var refreshTokenLifetime: Duration = .seconds(30 * 86_400)
        /// `[auth] public_metrics = yes`: Prometheus may scrape `/metrics` without a token.
        public var publicMetrics = false
        public init() {}
    }

    /// How a request was authenticated.
    public enum Credential: Sendable, Equatable {
        case accessToken(JWTClaims)
        case apiToken(id: String, name: String)
    }

    /// The `iss` botvisord mints and requires.
    public static let issuer = "botvisord"

    struct AccountState: Sendable {
        var role: Role
        var enabled: Bool
        var tokensValidAfter: Int64
    }

    struct TokenState: Sendable {
        var id: String
        var name: String
        var role: Role
        /// Unix seconds.
        var expiresAt: Int64?
        var revoked: Bool
    }

    struct State: Sendable {
        var keyRing: JWTKeyRing
        var accounts: [String: AccountState] = [:]
        var tokens: [[UInt8]: TokenState] = [:]
        /// jti -> its exp (Unix seconds).
        var revokedJTIs: [String: Int64] = [:]
        var throttle = LoginThrottle()
        /// Access tokens that verified: a token presented again costs a lookup, not a parse and an HMAC.
        var verified = VerifiedTokenCache()
    }

    public let settings: Settings
    let store: SupervisorStore
    let keyFile: String
    let state: Mutex<State>
    /// Live-feed tickets not yet redeemed (`Authenticator+Tickets.swift`).
    let tickets = Mutex<[String: (principal: Principal, expires: ContinuousClock.Instant)]>([:])
    let logger: Logger
    /// Unix seconds (injected in tests to mint tokens that expired or are not yet valid).
    let now: @Sendable () -> Int64
    /// PBKDF2 at 600,000 iterations is a CPU-bound third of a second: it runs on its own thread, one at a
    /// time, so a flood of logins can take one core but never the cooperative pool that serves requests.
    let hashing = ThreadExecutor()

    init(settings: Settings, store: SupervisorStore, keyFile: String, keyRing: JWTKeyRing, logger: Logger, now: @escaping @Sendable () -> Int64) {
        self.settings = settings
        self.store = store
        self.keyFile = keyFile
        self.state = Mutex(State(keyRing: keyRing))
        self.logger = logger
        self.now = now
    }

    /// Loads (or, at first start, creates) the key file `jwt.key` in the state directory and the
    /// accounts, tokens and revocations from the store.
    public static func load(store: SupervisorStore, stateDirectory: String, settings: Settings = Settings(),
                            logger: Logger = Logger(label: "auth"),
                            now: @escaping @Sendable () -> Int64 = { Int64(WallClock.now().seconds) }) async throws -> Authenticator {
        let keyFile = "\(stateDirectory)/jwt.key"
        let ring = try JWTKeyFile.loadOrCreate(at: keyFile, issuer: issuer, now: now())
        let auth = Authenticator(settings: settings, store: store, keyFile: keyFile, keyRing: ring, logger: logger, now: now)
        try await auth.reloadFromStore()
        return auth
    }

    /// Re-reads accounts, API tokens and revoked ids from the store.
    func reloadFromStore() async throws {
        try await store.pruneRefreshTokens(before: now() * 1000)
        let accounts = try await store.accounts()
        let tokens = try await store.apiTokens()
        let revoked = try await store.revokedJTIs(now: now())
        state.withLock { s in
            s.accounts = [:]
            for a in accounts {
                s.accounts[a.name] = AccountState(role: Role(rawValue: a.role) ?? .viewer, enabled: a.enabled, tokensValidAfter: a.tokensValidAfter)
            }
            s.tokens = [:]
            for t in tokens { s.tokens[t.hash] = Authenticator.tokenState(t) }
            s.revokedJTIs = revoked
        }
    }

    static func tokenState(_ t: APITokenRecord) -> TokenState {
        TokenState(id: t.id, name: t.name, role: Role(rawValue: t.role) ?? .viewer, expiresAt: t.expiresAt.map { $0 / 1000 },
                   revoked: t.revokedAt != nil)
    }

    // MARK: Verifying a request

    /// The principal an `Authorization` header value speaks for; throws the 401 to answer.
    /// An access token's role is the lower of its claim and the account's role now, so a demotion
    /// applies at once; a disabled or deleted account's tokens stop working at once.
    public func authenticate(authorization: String?) throws(APIError) -> (Principal, Credential) {
        guard let authorization, !authorization.isEmpty else { throw Authenticator.unauthorized(.authRequired, "this route needs a bearer token") }
        // RFC 6750 §2.1: `Bearer` is case-insensitive, one space, then the token.
        guard authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            throw Authenticator.unauthorized(.tokenInvalid, "the Authorization header must be `Bearer <token>`")
        }
        let token = authorization.dropFirst(7)
        let now = self.now()
        if token.hasPrefix(OpaqueToken.Kind.api.rawValue) {
            guard let opaque = OpaqueToken(parsing: token, as: .api) else { throw Authenticator.unauthorized(.tokenInvalid, "the API token is malformed") }
            let found = state.withLock { $0.tokens[opaque.storedHash] }
            guard let found, !found.revoked else { throw Authenticator.unauthorized(.tokenInvalid, "the API token is unknown or revoked") }
            if let expires = found.expiresAt, now >= expires { throw Authenticator.unauthorized(.tokenExpired, "the API token has expired") }
            return (Principal(subject: "token:\(found.name)", role: found.role.rawValue), .apiToken(id: found.id, name: found.name))
        }
        let verdict: Result<(JWTClaims, Role), APIError> = state.withLock { s in
            let claims: JWTClaims
            // The signature and claims, from the cache when these exact bytes verified before; revocation, the
            // account and its cut-off below are checked on every request, cached or not.
            do { claims = try s.verified.verify(token, ring: s.keyRing, now: now) } catch let error as JWTError {
                if case .expired = error { return .failure(Authenticator.unauthorized(.tokenExpired, "the access token has expired; refresh it")) }
                return .failure(Authenticator.unauthorized(.tokenInvalid, "the access token is invalid: \(error)"))
            } catch {
                return .failure(Authenticator.unauthorized(.tokenInvalid, "the access token is invalid"))
            }
            if s.revokedJTIs[claims.id] != nil { return .failure(Authenticator.unauthorized(.tokenInvalid, "the access token was revoked")) }
            guard let account = s.accounts[claims.subject], account.enabled else {
                return .failure(Authenticator.unauthorized(.tokenInvalid, "the access token's account is disabled or gone"))
            }
            guard claims.issuedAt >= account.tokensValidAfter else {
                return .failure(Authenticator.unauthorized(.tokenInvalid, "the access token predates a change to its account; log in again"))
            }
            return .success((claims, min(claims.role, account.role)))
        }
        switch verdict {
        case .success(let (claims, role)): return (Principal(subject: claims.subject, role: role.rawValue), .accessToken(claims))
        case .failure(let error): throw error
        }
    }

    /// A 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3), naming the error class for a bad token.
    static func unauthorized(_ code: ErrorCode, _ message: String) -> APIError {
        let challenge = code == .authRequired ? "Bearer realm=\"botvisor\"" : "Bearer realm=\"botvisor\", error=\"invalid_token\""
        return APIError(.unauthorized, code, message, headers: ["WWW-Authenticate": challenge])
    }

    // MARK: Logging in

    /// What login and refresh hand out.
    public struct TokenPair: Sendable, Encodable {
        public var access_token: String
        public var token_type = "Bearer"
        /// Seconds.
        public var expires_in: Int64
        public var refresh_token: String
        public var refresh_expires_in: Int64
        public var role: String
    }

    /// Checks a password and mints a token pair. Failures are counted per account and per address
    /// (`LoginThrottle`); while locked, no password is checked and the answer is 429 `LOGIN_LOCKED`.
    public func login(name: String, password: String, address: String) async throws -> TokenPair {
        let verdict = state.withLock { $0.throttle.check(account: name, address: address, now: .now) }
        if case .locked(_, let retryAfter) = verdict { throw Authenticator.locked(retryAfter) }
        let account = try await store.account(named: name)
        let ok = try await hashing.run {
            guard let account, account.enabled, let hash = try? PasswordHash(encoded: account.passwordHash) else {
                return PasswordHash.verifyWithoutAccount(password)
            }
            return hash.verify(password)
        }
        guard ok, let account, let role = Role(rawValue: account.role) else {
            let after = state.withLock { $0.throttle.recordFailure(account: name, address: address, now: .now) }
            logger.warning("login failed", ["account": name, "address": address, "locked": after != .allowed])
            throw APIError(.unauthorized, .loginFailed, "wrong account name or password")
        }
        state.withLock { $0.throttle.recordSuccess(account: name, address: address, now: .now) }
        try await store.recordLogin(name, at: now() * 1000)
        if (try? PasswordHash(encoded: account.passwordHash))?.needsRehash == true {
            let fresh = try await hashing.run { PasswordHash(password: password).encoded }
            _ = try await store.updateAccount(name, passwordHash: fresh)
        }
        logger.info("login", ["account": name, "address": address])
        return try await mintPair(account: name, role: role, family: Base64URL.encode(SecureRandom.bytes(12)))
    }

    static func locked(_ retryAfter: Duration) -> APIError {
        let seconds = max(1, Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up)))
        return APIError(.tooManyRequests, .loginLocked, "too many failed logins; try again in \(seconds) s",
                        headers: ["Retry-After": String(seconds)])
    }

    func mintPair(account: String, role: Role, family: String) async throws -> TokenPair {
        // Right after a change cut the account's tokens off to the end of a second, a token minted in that second
        // would be refused at once: wait for the next one (at most a second; the clock is injected in tests).
        let validAfter = state.withLock { $0.accounts[account]?.tokensValidAfter ?? 0 }
        let waitUntil = ContinuousClock.now + .milliseconds(1500)
        while self.now() < validAfter, ContinuousClock.now < waitUntil {
            try await Task.sleep(for: .milliseconds(50))
        }
        let now = self.now()
        let accessSeconds = settings.accessTokenLifetime.components.seconds
        let refreshSeconds = settings.refreshTokenLifetime.components.seconds
        let access = state.withLock { s in
            s.keyRing.sign(JWTClaims.fresh(issuer: Authenticator.issuer, subject: account, role: role, now: now, lifetime: accessSeconds))
        }
        let refresh = OpaqueToken.generate(.refresh)
        try await store.insertRefreshToken(hash: refresh.storedHash, family: family, account: account, createdAt: now * 1000,
                                           expiresAt: (now + refreshSeconds) * 1000)
        return TokenPair(access_token: access, expires_in: accessSeconds, refresh_token: refresh.printed,
                         refresh_expires_in: refreshSeconds, role: role.rawValue)
    }

    /// Trades a refresh token for a new pair; the old one is spent. A second use revokes the family
    /// and answers 401 `REFRESH_REUSED`.
    public func refresh(_ presented: String) async throws -> TokenPair {
        guard let token = OpaqueToken(parsing: presented, as: .refresh) else {
            throw Authenticator.unauthorized(.tokenInvalid, "refresh_token is not a botvisor refresh token")
        }
        switch try await store.useRefreshToken(hash: token.storedHash, now: now() * 1000) {
        case .unknown: throw Authenticator.unauthorized(.tokenInvalid, "the refresh token is unknown")
        case .expired: throw Authenticator.unauthorized(.tokenExpired, "the refresh token has expired; log in again")
        case .reused(let account, _):
            // A reuse means two parties hold this login's tokens (a thief and the victim): the family is
            // revoked, and so is every access token of the account issued until now (an access token is
            // not tied to its family, so the account's tokens are cut off; its other logins log in again).
            // Whole seconds: the tokens minted in this second are cut off too, so a fresh login works from the next.
            let cutoff = now() + 1
            if let changed = try await store.updateAccount(account, tokensValidAfter: cutoff) {
                state.withLock { $0.accounts[account]?.tokensValidAfter = changed.tokensValidAfter }
            }
            logger.warning("refresh token reused; its family and the account's access tokens are revoked", ["account": account])
            throw Authenticator.unauthorized(.refreshReused, "the refresh token was used before; every token of this login is revoked")
        case .fresh(let account, let family):
            let current = state.withLock { $0.accounts[account] }
            guard let current, current.enabled else { throw Authenticator.unauthorized(.tokenInvalid, "the account is disabled or gone") }
            return try await mintPair(account: account, role: current.role, family: family)
        }
    }

    /// Ends a login: the access token stops working now, and the refresh token's family with it.
    public func logout(claims: JWTClaims?, refreshToken: String?) async throws {
        if let claims {
            try await store.revokeJTI(claims.id, expiresAt: claims.expiresAt + JWTKeyRing.leeway)
            let now = self.now()
            state.withLock { s in
                s.revokedJTIs[claims.id] = claims.expiresAt + JWTKeyRing.leeway
                // An id is worth remembering only while its token could still verify.
                if s.revokedJTIs.count > 1024 { s.revokedJTIs = s.revokedJTIs.filter { $0.value >= now } }
            }
        }
        if let refreshToken, let token = OpaqueToken(parsing: refreshToken, as: .refresh) {
            _ = try await store.revokeRefreshFamily(of: token.storedHash)
        }
    }
}
