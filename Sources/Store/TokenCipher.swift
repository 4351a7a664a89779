#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Fleet

/// Encrypts bot tokens at rest with AES-256-GCM (`Crypto.AESGCM`) under a 32-byte key kept in a
/// 0600 key file in the state directory. Stored form: 12-byte nonce, ciphertext,
/// 16-byte tag. The bot's name is bound as associated data, so a token row
/// copied onto another bot does not decrypt.
public struct TokenCipher: Sendable {
    private let key: [UInt8]

    public init(key: [UInt8]) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        self.key = key
    }

    /// Loads the key file, creating it (mode 0600, random key) when absent.
    public static func loadOrCreateKey(at path: String) throws -> TokenCipher {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            var st = stat()
            fstat(fd, &st)
            guard st.st_mode & 0o077 == 0 else {
                throw TokenCipherError.insecureKeyFile(path: path, mode: st.st_mode & 0o777)
            }
            var key = [UInt8](repeating: 0, count: 33)
            let n = read(fd, &key, 33)
            guard n == 32 else { throw TokenCipherError.badKeyFile(path: path) }
            return TokenCipher(key: Array(key.prefix(32)))
        }
        guard errno == ENOENT else { throw TokenCipherError.badKeyFile(path: path) }
        let key: [UInt8]
        do { key = try AESGCM.randomKey() } catch { throw TokenCipherError.cryptoFailure("RAND_bytes") }
        // O_EXCL: never overwrite a key another process just created.
        let out = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw TokenCipherError.badKeyFile(path: path) }
        defer { close(out) }
        guard write(out, key, 32) == 32, fsync(out) == 0 else { throw TokenCipherError.badKeyFile(path: path) }
        return TokenCipher(key: key)
    }

    public func seal(_ plaintext: String, boundTo name: String) throws -> [UInt8] {
        do {
            return try AESGCM.seal(Array(plaintext.utf8), key: key, authenticating: Array(name.utf8))
        } catch .cryptoFailure(let call) {
            throw TokenCipherError.cryptoFailure(call)
        } catch {
            throw TokenCipherError.authenticationFailed
        }
    }

    public func open(_ sealed: [UInt8], boundTo name: String) throws -> String {
        do {
            return String(decoding: try AESGCM.open(sealed, key: key, authenticating: Array(name.utf8)), as: UTF8.self)
        } catch .cryptoFailure(let call) {
            throw TokenCipherError.cryptoFailure(call)
        } catch {
            throw TokenCipherError.authenticationFailed
        }
    }
}

/// Why a token could not be sealed or opened.
public enum TokenCipherError: Error, Equatable, CustomStringConvertible {
    case insecureKeyFile(path: String, mode: mode_t)
    case badKeyFile(path: String)
    case cryptoFailure(String)
    case authenticationFailed

    public var description: String {
        switch self {
        case .insecureKeyFile(let path, let mode): "key file \(path) has mode \(String(mode, radix: 8)); it must be 0600"
        case .badKeyFile(let path): "key file \(path) is unreadable or not 32 bytes"
        case .cryptoFailure(let call): "\(call) failed"
        case .authenticationFailed: "the token does not decrypt under this key (wrong key file or tampered row)"
        }
    }
}
