/// Access tokens that verified recently, so a client that presents the same token again (a dashboard, a
/// script: every request until it expires) costs a lookup instead of two base64 decodes, two JSON parses
/// and an HMAC. Only what is the same for every presentation is cached: the token's exact bytes were
/// signed by key `keyID` and carry these claims. What can change between two requests is checked again on
/// every hit, as a full verification would: the key still verifies (a retired or removed key ends its
/// tokens at once) and the time claims still hold. Revocation of the `jti`, the account's state and its
/// cut-off are the caller's to check after either path (`Authenticator`), so they apply to the next request.
///
/// Only tokens that passed `JWTKeyRing.verify` enter, so forged or garbled tokens never take room; the
/// table is a `BoundedTable` (least recently used evicted), so even a flood of distinct valid tokens costs
/// at most `capacity` entries. Entries are keyed by the token's bytes, compared byte for byte (never by
/// `String` equality, which treats canonically equivalent Unicode as equal).
public struct VerifiedTokenCache: Sendable {
    /// A token's bytes, hashed in one call (an `Array`'s own hash takes them one at a time).
    struct Key: Hashable, Sendable {
        let bytes: [UInt8]
        static func == (a: Key, b: Key) -> Bool { a.bytes == b.bytes }
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    struct Entry: Sendable {
        var claims: JWTClaims
        var keyID: String
    }

    /// About 300 bytes of token and 200 of claims each: half a megabyte when full. More than the live
    /// logins of any fleet's staff (an access token lives 15 minutes by default).
    public static let defaultCapacity = 1024

    private var table: BoundedTable<Key, Entry>
    /// Presentations answered from the cache, and those that needed a full verification.
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacity: Int = VerifiedTokenCache.defaultCapacity) {
        table = BoundedTable(capacity: capacity)
    }

    public var count: Int { table.count }
    public var capacity: Int { table.capacity }

    /// The claims of `token` verified by `ring` at `now`: from the cache when these exact bytes verified
    /// before (and their key and times still hold), else by `ring.verify`, caching the result. Throws what
    /// `ring.verify` throws; a cached token whose key or time no longer holds is dropped and re-verified,
    /// so its error is the one a first presentation would get.
    public mutating func verify(_ token: some StringProtocol, ring: JWTKeyRing, now: Int64) throws(JWTError) -> JWTClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= JWTKeyRing.maximumTokenBytes else { throw .oversized(bytes: bytes.count) }
        let key = Key(bytes: bytes)
        if let hit = table.touch(key) {
            if ring.issuer == hit.claims.issuer, ring.verifies(keyID: hit.keyID, now: now),
               (try? JWTKeyRing.checkTimes(hit.claims, now: now)) != nil {
                hits += 1
                return hit.claims
            }
            table.remove(key)
        }
        misses += 1
        let (claims, keyID) = try ring.verify(bytes: bytes, now: now)
        table.set(key, Entry(claims: claims, keyID: keyID))
        return claims
    }

    /// Forgets every token (the key ring was replaced: a key id could now name another secret).
    public mutating func removeAll() {
        table = BoundedTable(capacity: table.capacity)
    }
}
