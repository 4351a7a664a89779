import Auth
import HTTP

/// Whether a credential accepted earlier would still be accepted now, for what outlives one request: a
/// live-feed connection (WebSocket or SSE) lives exactly as long as the credential that opened it. Read
/// from the same in-memory state `authenticate` reads, which every revocation changes first: an API
/// token revoked, an account disabled, deleted, demoted or given a new password (its `tokensValidAfter`
/// moves), a logout (the access token's id is revoked), a reused refresh token (the account's tokens
/// are cut off), and the credential's own expiry.
extension Authenticator {
    /// Why each credential would be refused now, in a few words for a WebSocket close reason; nil while it is accepted.
    public func revocations(of credentials: [Credential]) -> [String?] {
        let now = self.now()
        return state.withLock { s in
            // API tokens are keyed by hash; a connection knows its token's id. Built once per call, only when needed.
            var tokensByID: [String: TokenState]?
            return credentials.map { credential -> String? in
                switch credential {
                case .apiToken(let id, _):
                    if tokensByID == nil { tokensByID = Dictionary(s.tokens.values.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }
                    guard let token = tokensByID?[id], !token.revoked else { return "the API token was revoked" }
                    if let expires = token.expiresAt, now >= expires { return "the API token expired" }
                    return nil
                case .accessToken(let claims):
                    if s.revokedJTIs[claims.id] != nil { return "signed out" }
                    guard let account = s.accounts[claims.subject], account.enabled else { return "the account was disabled or deleted" }
                    if claims.issuedAt < account.tokensValidAfter { return "the account changed; sign in again" }
                    // As `JWTKeyRing.verify` judges expiry.
                    if now >= claims.expiresAt + JWTKeyRing.leeway { return "the access token expired" }
                    return nil
                }
            }
        }
    }

    /// Why `principal`'s credential would be refused now; nil while accepted, or when it carries none this layer made.
    public func revocation(of principal: Principal) -> String? {
        guard let credential = principal.credential as? Credential else { return nil }
        return revocations(of: [credential])[0]
    }
}
