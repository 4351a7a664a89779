import Crypto

/// A bearer secret that is not a JWT: a refresh token or a long-lived API token.
/// 32 random bytes, shown once as `<prefix><base64url>` (the prefix lets secret
/// scanners and people recognise it), and stored only as the SHA-256 of the
/// secret, so a copy of the database cannot be replayed. A hash of a 256-bit
/// random secret needs no salt or slow KDF: there is nothing to guess.
public struct OpaqueToken: Sendable, Equatable, CustomStringConvertible {
    /// What a token is for; its raw value is the printed prefix.
    public enum Kind: String, Sendable, CaseIterable {
        case refresh = "bvr_"
        case api = "bva_"
    }

    public static let secretByteCount = 32
    /// The printed length: prefix plus 43 base64url characters.
    public static let printedLength = 4 + 43

    public let kind: Kind
    let secret: [UInt8]

    /// A new random token.
    public static func generate(_ kind: Kind) -> OpaqueToken {
        OpaqueToken(kind: kind, secret: SecureRandom.bytes(secretByteCount))
    }

    init(kind: Kind, secret: [UInt8]) {
        self.kind = kind
        self.secret = secret
    }

    /// Parses a presented token; nil when it is not a well-formed token of `kind`
    /// (a refresh token presented as an API token is refused too).
    public init?(parsing text: some StringProtocol, as kind: Kind) {
        guard text.utf8.count == OpaqueToken.printedLength, text.hasPrefix(kind.rawValue),
              let secret = Base64URL.decode(text.dropFirst(kind.rawValue.count)),
              secret.count == OpaqueToken.secretByteCount else { return nil }
        self.init(kind: kind, secret: secret)
    }

    /// The text handed to the user, once.
    public var printed: String { kind.rawValue + Base64URL.encode(secret) }

    /// What the database keeps and looks the token up by: SHA-256 of the secret.
    public var storedHash: [UInt8] { SHA256.hash(secret) }

    /// Whether this token is the one `storedHash` was made from (constant time).
    public func matches(storedHash: [UInt8]) -> Bool { ConstantTime.equals(self.storedHash, storedHash) }

    /// Never the secret.
    public var description: String { "OpaqueToken(\(kind.rawValue)…)" }
}
