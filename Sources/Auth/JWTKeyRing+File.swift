import Crypto

/// The key file in the state directory (mode 0600, written by the daemon at first
/// start and by `botvisorctl key rotate`): one key per line, the current one first.
///
///     # botvisor JWT signing keys (HS256). Keep this file secret: mode 0600.
///     current 2026-12 <secret, base64url>
///     previous 2026-11 <secret, base64url> 1796000000
///
/// A previous key may carry the Unix second from which it stops verifying.
extension JWTKeyRing {
    public var fileContents: String {
        var out = "# botvisor JWT signing keys (HS256). Keep this file secret: mode 0600.\n"
        out += "current \(currentKeyID) \(Base64URL.encode(currentKey.secret))\n"
        for id in keyIDs.dropFirst() {
            out += "previous \(id) \(Base64URL.encode(keys[id]!.secret))"
            if let until = retirement[id] { out += " \(until)" }
            out += "\n"
        }
        return out
    }

    /// Reads a key file; the error names the line and never echoes it (it holds a secret).
    public init(issuer: String, fileContents: String) throws(KeyFileError) {
        var current: SigningKey? = nil
        var previous: [(SigningKey, Int64?)] = []
        for (n, raw) in fileContents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, let secret = Base64URL.decode(fields[2]) else { throw .invalidLine(n + 1) }
            let key: SigningKey
            do { key = try SigningKey(id: String(fields[1]), secret: secret) } catch { throw .invalidLine(n + 1) }
            switch (fields[0], fields.count) {
            case ("current", 3):
                guard current == nil else { throw .invalidLine(n + 1) }
                current = key
            case ("previous", 3): previous.append((key, nil))
            case ("previous", 4):
                guard let until = Int64(fields[3]) else { throw .invalidLine(n + 1) }
                previous.append((key, until))
            default: throw .invalidLine(n + 1)
            }
        }
        guard let current else { throw .noCurrentKey }
        self.init(issuer: issuer, current: current, previous: previous.map(\.0))
        for (key, until) in previous { if let until { retirement[key.id] = until } }
    }
}

/// The key file could not be read.
public enum KeyFileError: Error, Sendable, Equatable {
    /// The 1-based line that is not `current|previous KID SECRET [UNTIL]`.
    case invalidLine(Int)
    case noCurrentKey
}
