#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import Fleet
import FoundationEssentials

/// Encrypts bot tokens at rest with AES-256-GCM under a 32-byte key kept in a
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
        var key = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&key, 32) == 1 else { throw TokenCipherError.cryptoFailure("RAND_bytes") }
        // O_EXCL: never overwrite a key another process just created.
        let out = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw TokenCipherError.badKeyFile(path: path) }
        defer { close(out) }
        guard write(out, key, 32) == 32, fsync(out) == 0 else { throw TokenCipherError.badKeyFile(path: path) }
        return TokenCipher(key: key)
    }

    public func seal(_ plaintext: String, boundTo name: String) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        guard RAND_bytes(&nonce, 12) == 1 else { throw TokenCipherError.cryptoFailure("RAND_bytes") }
        let input = Array(plaintext.utf8)
        let aad = Array(name.utf8)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw TokenCipherError.cryptoFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var len: Int32 = 0, total: Int32 = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1,
              EVP_EncryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1,
              EVP_EncryptUpdate(ctx, &out, &len, input, Int32(input.count)) == 1 else {
            throw TokenCipherError.cryptoFailure("EVP_EncryptUpdate")
        }
        total = len
        let finalOK = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard finalOK == 1 else { throw TokenCipherError.cryptoFailure("EVP_EncryptFinal_ex") }
        total += len
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else {
            throw TokenCipherError.cryptoFailure("EVP_CTRL_GCM_GET_TAG")
        }
        return nonce + out.prefix(Int(total)) + tag
    }

    public func open(_ sealed: [UInt8], boundTo name: String) throws -> String {
        guard sealed.count >= 28 else { throw TokenCipherError.authenticationFailed }
        let nonce = Array(sealed.prefix(12))
        var tag = Array(sealed.suffix(16))
        let body = Array(sealed[12..<(sealed.count - 16)])
        let aad = Array(name.utf8)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw TokenCipherError.cryptoFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var len: Int32 = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1,
              EVP_DecryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1,
              EVP_DecryptUpdate(ctx, &out, &len, body, Int32(body.count)) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1 else {
            throw TokenCipherError.authenticationFailed
        }
        let total = len
        let finalOK = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard finalOK == 1 else { throw TokenCipherError.authenticationFailed }
        return String(decoding: out.prefix(Int(total + len)), as: UTF8.self)
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
