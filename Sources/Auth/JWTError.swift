/// Why a bearer token was refused. Each attack on HS256 verification has its own
/// case, so tests and the audit log can tell them apart; the HTTP layer maps
/// `expired` to `TOKEN_EXPIRED` and everything else to `TOKEN_INVALID`.
public enum JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Longer than `JWTKeyRing.maximumTokenBytes`: refused before any parsing.
    case oversized(bytes: Int)
    /// Not three dot-separated segments.
    case malformed
    /// A segment is not canonical unpadded base64url.
    case invalidBase64(Segment)
    /// The header or payload is not a JSON object.
    case invalidJSON(Segment)
    /// `alg` is not HS256 (`none`, `HS384`, `RS256`, `ES256` ...) or is absent.
    case unsupportedAlgorithm(String?)
    /// The header names extensions (`crit`) or a `typ` other than JWT.
    case unsupportedHeader(String)
    /// No `kid` in the header.
    case missingKeyID
    /// `kid` names no key in the ring.
    case unknownKeyID(String)
    /// The HMAC does not match.
    case badSignature
    /// A required claim is absent.
    case missingClaim(String)
    /// A claim has the wrong type or an impossible value.
    case invalidClaim(String)
    /// `iss` is not this daemon's issuer.
    case wrongIssuer(String)
    /// `exp` has passed (beyond the leeway).
    case expired(at: Int64)
    /// `nbf` or `iat` is in the future (beyond the leeway).
    case notYetValid(until: Int64)

    /// The parts of a compact JWS.
    public enum Segment: String, Sendable { case header, payload, signature }

    public var description: String {
        switch self {
        case .oversized(let n): "token of \(n) bytes is too large"
        case .malformed: "token is not three base64url segments"
        case .invalidBase64(let s): "token \(s.rawValue) is not base64url"
        case .invalidJSON(let s): "token \(s.rawValue) is not a JSON object"
        case .unsupportedAlgorithm(let alg): "token algorithm \(alg ?? "(none given)") is not HS256"
        case .unsupportedHeader(let h): "token header \(h) is not supported"
        case .missingKeyID: "token header has no kid"
        case .unknownKeyID: "token is signed with an unknown key"
        case .badSignature: "token signature does not match"
        case .missingClaim(let c): "token has no \(c) claim"
        case .invalidClaim(let c): "token claim \(c) is invalid"
        case .wrongIssuer: "token issuer is not this daemon"
        case .expired: "token has expired"
        case .notYetValid: "token is not yet valid"
        }
    }
}
