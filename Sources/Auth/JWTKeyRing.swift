import Glibc  // because rounding Doubles links libm
import Crypto
import JSON

/// An HMAC-SHA-256 signing key with the id (`kid`) tokens name it by. The secret
/// is never printed: `description` shows the id only.
public struct SigningKey: Sendable, CustomStringConvertible {
    public let id: String
    let secret: [UInt8]

    /// RFC 7518 §3.2: an HS256 key must be at least 256 bits.
    public static let minimumByteCount = 32

    public init(id: String, secret: [UInt8]) throws(SigningKeyError) {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            throw .invalidID
        }
        guard secret.count >= SigningKey.minimumByteCount else { throw .tooShort(secret.count) }
        self.id = id
        self.secret = secret
    }

    /// A new random 256-bit key.
    public static func generate(id: String) throws(SigningKeyError) -> SigningKey {
        try SigningKey(id: id, secret: SecureRandom.bytes(32))
    }

    /// The raw secret, for writing the key file (mode 0600) only.
    public var secretBytes: [UInt8] { secret }

    public var description: String { "SigningKey(\(id))" }
}

/// A signing key could not be made.
public enum SigningKeyError: Error, Sendable, Equatable {
    /// Shorter than `SigningKey.minimumByteCount` bytes.
    case tooShort(Int)
    /// Empty, longer than 64 bytes, or not printable ASCII without quotes.
    case invalidID
}

/// The daemon's JWT keys: one current key that signs, and earlier keys that still
/// verify the tokens they signed until those expire (`botvisorctl key rotate`).
/// Tokens are JWS compact serialization (RFC 7515 §7.1) with HS256 only.
public struct JWTKeyRing: Sendable {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public static let leeway: Int64 = 30
    /// Tokens longer than this are refused before parsing; ours are about 300 bytes.
    public static let maximumTokenBytes = 8 * 1024

    /// The issuer (`iss`) this ring mints and requires.
    public let issuer: String
    public private(set) var currentKeyID: String
    var keys: [String: SigningKey]
    /// For previous keys: the Unix second from which they no longer verify.
    public internal(set) var retirement: [String: Int64] = [:]

    public init(issuer: String, current: SigningKey, previous: [SigningKey] = []) {
        self.issuer = issuer
        self.currentKeyID = current.id
        self.keys = [:]
        for key in previous { keys[key.id] = key }
        keys[current.id] = current
    }

    /// The ids of every key that verifies, the current one first.
    public var keyIDs: [String] { [currentKeyID] + keys.keys.filter { $0 != currentKeyID }.sorted() }

    public var currentKey: SigningKey { keys[currentKeyID]! }

    /// Makes `key` the signer; the previous keys keep verifying. With
    /// `previousValidUntil` (now + the longest token lifetime + leeway), the key
    /// that signed until now stops verifying at that Unix second.
    public mutating func rotate(to key: SigningKey, previousValidUntil: Int64? = nil) {
        if let until = previousValidUntil, key.id != currentKeyID { retirement[currentKeyID] = until }
        keys[key.id] = key
        retirement.removeValue(forKey: key.id)
        currentKeyID = key.id
    }

    /// Removes the previous keys whose retirement time has come; answers their ids.
    @discardableResult
    public mutating func removeRetired(now: Int64) -> [String] {
        let due = retirement.filter { $0.value <= now }.keys.sorted()
        for id in due { retire(id) }
        return due
    }

    /// Stops accepting tokens signed with `id` (once they have all expired). The
    /// current key cannot be retired: rotate first.
    @discardableResult
    public mutating func retire(_ id: String) -> Bool {
        guard id != currentKeyID else { return false }
        retirement.removeValue(forKey: id)
        return keys.removeValue(forKey: id) != nil
    }

    // MARK: Signing

    /// The compact JWS of `claims`, signed with the current key.
    public func sign(_ claims: JWTClaims) -> String {
        let key = currentKey
        let header: JSON = ["alg": "HS256", "typ": "JWT", "kid": .string(key.id)]
        let payload: JSON = [
            "iss": .string(claims.issuer), "sub": .string(claims.subject), "role": .string(claims.role.rawValue),
            "iat": .number(Double(claims.issuedAt)), "nbf": .number(Double(claims.notBefore)),
            "exp": .number(Double(claims.expiresAt)), "jti": .string(claims.id),
        ]
        let signingInput = Base64URL.encode(header.bytes) + "." + Base64URL.encode(payload.bytes)
        let signature = HMAC.sha256(key: key.secret, message: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    // MARK: Verifying

    /// The claims of `token` if it is an HS256 token signed by a key in the ring,
    /// minted by this issuer, and valid at `now` (Unix seconds) within `leeway`.
    /// Revocation (`jti`) and account state are the caller's to check next.
    public func verify(_ token: some StringProtocol, now: Int64) throws(JWTError) -> JWTClaims {
        try verify(bytes: Array(token.utf8), now: now).claims
    }

    /// `verify`, answering also the id of the key that verified (`VerifiedTokenCache` keeps it).
    func verify(bytes: [UInt8], now: Int64) throws(JWTError) -> (claims: JWTClaims, keyID: String) {
        guard bytes.count <= JWTKeyRing.maximumTokenBytes else { throw .oversized(bytes: bytes.count) }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { throw .malformed }

        // The header says which key; nothing else in it is trusted, and the algorithm
        // is fixed by us, not chosen by the token (RFC 8725 §3.1).
        guard let headerBytes = Base64URL.decode(Array(parts[0])) else { throw .invalidBase64(.header) }
        guard let header = try? JSON.parse(headerBytes), case .object(let fields) = header else { throw .invalidJSON(.header) }
        guard let alg = fields["alg"] else { throw .unsupportedAlgorithm(nil) }
        guard alg.string == "HS256" else { throw .unsupportedAlgorithm(alg.string ?? alg.serialized()) }
        if fields["crit"] != nil { throw .unsupportedHeader("crit") }
        if let typ = fields["typ"], typ.string?.uppercased() != "JWT" { throw .unsupportedHeader("typ") }
        guard let kidValue = fields["kid"] else { throw .missingKeyID }
        guard let kid = kidValue.string, let key = keys[kid] else { throw .unknownKeyID(kidValue.string ?? kidValue.serialized()) }
        guard verifies(keyID: kid, now: now) else { throw .unknownKeyID(kid) }

        guard let signature = Base64URL.decode(Array(parts[2])) else { throw .invalidBase64(.signature) }
        let signingInput = bytes[..<(parts[1].endIndex)]
        let expected = HMAC.sha256(key: key.secret, message: Array(signingInput))
        guard ConstantTime.equals(signature, expected) else { throw .badSignature }

        // Only an authenticated payload is parsed.
        guard let payloadBytes = Base64URL.decode(Array(parts[1])) else { throw .invalidBase64(.payload) }
        guard let payload = try? JSON.parse(payloadBytes), case .object(let claims) = payload else { throw .invalidJSON(.payload) }
        return (try validate(claims, now: now), kid)
    }

    /// Whether the key `id` is in the ring and not retired at `now`.
    func verifies(keyID id: String, now: Int64) -> Bool {
        guard keys[id] != nil else { return false }
        if let until = retirement[id], now >= until { return false }
        return true
    }

    /// The time checks of `validate` (RFC 7519 §4.1.4, §4.1.5), for claims verified before.
    static func checkTimes(_ claims: JWTClaims, now: Int64) throws(JWTError) {
        // RFC 7519 §4.1.4: the token must not be accepted on or after exp.
        guard now < claims.expiresAt + leeway else { throw .expired(at: claims.expiresAt) }
        // RFC 7519 §4.1.5: nor before nbf; a token issued in the future is not valid yet either.
        guard now + leeway >= claims.notBefore else { throw .notYetValid(until: claims.notBefore) }
        guard now + leeway >= claims.issuedAt else { throw .notYetValid(until: claims.issuedAt) }
    }

    private func validate(_ claims: [String: JSON], now: Int64) throws(JWTError) -> JWTClaims {
        func string(_ name: String) throws(JWTError) -> String {
            guard let value = claims[name] else { throw .missingClaim(name) }
            guard let s = value.string, !s.isEmpty else { throw .invalidClaim(name) }
            return s
        }
        func date(_ name: String) throws(JWTError) -> Int64 {
            guard let value = claims[name] else { throw .missingClaim(name) }
            // RFC 7519 §2: NumericDate may carry a fraction; whole seconds are enough here.
            guard let n = value.double, n.isFinite, n >= 0, n < 1e13 else { throw .invalidClaim(name) }
            return Int64(n.rounded(.down))
        }
        let iss = try string("iss")
        let sub = try string("sub")
        let roleName = try string("role")
        guard let role = Role(rawValue: roleName) else { throw .invalidClaim("role") }
        let iat = try date("iat")
        let nbf = try date("nbf")
        let exp = try date("exp")
        let jti = try string("jti")
        guard exp > iat else { throw .invalidClaim("exp") }
        guard iss == issuer else { throw .wrongIssuer(iss) }
        let verified = JWTClaims(issuer: iss, subject: sub, role: role, issuedAt: iat, notBefore: nbf, expiresAt: exp, id: jti)
        try JWTKeyRing.checkTimes(verified, now: now)
        return verified
    }
}
