import Crypto

/// A stored password: PBKDF2-HMAC-SHA256 with a per-account random salt, kept as
/// one self-describing string so the parameters can be raised later without a
/// migration: `pbkdf2-sha256$<iterations>$<salt>$<hash>` (salt and hash unpadded
/// base64url). Verification compares in constant time; `needsRehash` says when a
/// successful login should store a fresh hash at today's parameters.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    public static let scheme = "pbkdf2-sha256"
    /// Today's parameters (OWASP Password Storage Cheat Sheet): see `PBKDF2`.
    public static let currentIterations = PBKDF2.recommendedIterations
    public static let saltByteCount = PBKDF2.recommendedSaltByteCount
    public static let hashByteCount = PBKDF2.recommendedByteCount
    /// A stored string asking for more than this is refused rather than run: an
    /// edited database must not be able to stall every login.
    public static let maximumIterations = 10_000_000

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `password` with a fresh random salt.
    public init(password: String, iterations: Int = PasswordHash.currentIterations) {
        self.init(password: password, salt: SecureRandom.bytes(PasswordHash.saltByteCount), iterations: iterations)
    }

    /// Hashes `password` with `salt` (tests and known-answer checks).
    public init(password: String, salt: [UInt8], iterations: Int) {
        self.iterations = iterations
        self.salt = salt
        self.hash = PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: iterations,
                                  byteCount: PasswordHash.hashByteCount)
    }

    /// Parses a stored string.
    public init(encoded: String) throws(PasswordHashError) {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4 else { throw .malformed }
        guard fields[0] == PasswordHash.scheme else { throw .unknownScheme(String(fields[0])) }
        guard fields[1].allSatisfy(\.isASCII), fields[1].first != "0", let n = Int(fields[1]),
              n >= 1, n <= PasswordHash.maximumIterations else { throw .invalidIterations }
        guard let salt = Base64URL.decode(fields[2]), salt.count >= 8 else { throw .malformed }
        guard let hash = Base64URL.decode(fields[3]), hash.count >= 16, hash.count <= 64 else { throw .malformed }
        self.iterations = n
        self.salt = salt
        self.hash = hash
    }

    /// The string to store.
    public var encoded: String {
        "\(PasswordHash.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Whether `password` is the one this hash was made from.
    public func verify(_ password: String) -> Bool {
        let candidate = PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: iterations, byteCount: hash.count)
        return ConstantTime.equals(candidate, hash)
    }

    /// Spends the time of one verification at today's parameters and answers false:
    /// a login for an account that does not exist (or is disabled) must take as
    /// long as a wrong password, or timing tells which accounts exist.
    public static func verifyWithoutAccount(_ password: String) -> Bool {
        _ = unknownAccount.verify(password)
        return false
    }

    /// A hash of a random password nobody knows, made on first use.
    static let unknownAccount = PasswordHash(password: Base64URL.encode(SecureRandom.bytes(32)))

    /// Whether the stored parameters are below today's and the hash should be
    /// replaced (after a successful `verify`, while the password is at hand).
    public var needsRehash: Bool {
        iterations < PasswordHash.currentIterations || salt.count < PasswordHash.saltByteCount
            || hash.count < PasswordHash.hashByteCount
    }

    /// Never the hash itself: only the parameters.
    public var description: String { "PasswordHash(\(PasswordHash.scheme), \(iterations) iterations)" }
}

/// A stored password hash could not be read.
public enum PasswordHashError: Error, Sendable, Equatable {
    case malformed
    case unknownScheme(String)
    case invalidIterations
}
