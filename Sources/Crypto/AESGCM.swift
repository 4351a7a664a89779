import COpenSSL

/// AES-256-GCM authenticated encryption (NIST SP 800-38D) over OpenSSL's EVP API.
/// The sealed form is a 12-byte random nonce, the ciphertext, and the 16-byte tag;
/// associated data is authenticated but not stored.
public enum AESGCM {
    /// AES-256 takes a 32-byte key.
    public static let keyByteCount = 32
    /// SP 800-38D §8.2: a 96-bit nonce, random per message.
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// `count` bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) throws(AESGCMError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw .cryptoFailure("RAND_bytes") }
        return bytes
    }

    /// A fresh random key.
    public static func randomKey() throws(AESGCMError) -> [UInt8] { try randomBytes(keyByteCount) }

    /// Encrypts `plaintext` under `key` with a random nonce; returns nonce + ciphertext + tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws(AESGCMError) -> [UInt8] {
        precondition(key.count == keyByteCount, "AES-256 needs a 32-byte key")
        let nonce = try randomBytes(nonceByteCount)
        let (ciphertext, tag) = try seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        return nonce + ciphertext + tag
    }

    /// Encrypts with a caller-chosen nonce (known-answer tests); never reuse a nonce under one key.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8],
                            authenticating aad: [UInt8] = []) throws(AESGCMError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var len: Int32 = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
              EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1,
              EVP_EncryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1,
              EVP_EncryptUpdate(ctx, &out, &len, plaintext, Int32(plaintext.count)) == 1 else {
            throw .cryptoFailure("EVP_EncryptUpdate")
        }
        var total = len
        let finalOK = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard finalOK == 1 else { throw .cryptoFailure("EVP_EncryptFinal_ex") }
        total += len
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw .cryptoFailure("EVP_CTRL_GCM_GET_TAG")
        }
        return (Array(out.prefix(Int(total))), tag)
    }

    /// Decrypts what `seal` returned; any change to it, the key or the associated data is `authenticationFailed`.
    public static func open(_ sealed: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws(AESGCMError) -> [UInt8] {
        precondition(key.count == keyByteCount, "AES-256 needs a 32-byte key")
        guard sealed.count >= nonceByteCount + tagByteCount else { throw .authenticationFailed }
        return try open(Array(sealed[nonceByteCount..<(sealed.count - tagByteCount)]), key: key,
                        nonce: Array(sealed.prefix(nonceByteCount)), tag: Array(sealed.suffix(tagByteCount)), authenticating: aad)
    }

    /// Decrypts `ciphertext` and checks `tag`.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], tag: [UInt8],
                            authenticating aad: [UInt8] = []) throws(AESGCMError) -> [UInt8] {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var tag = tag
        var out = [UInt8](repeating: 0, count: ciphertext.count + tagByteCount)
        var len: Int32 = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
              EVP_DecryptInit_ex(ctx, nil, nil, key, nonce) == 1,
              EVP_DecryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1,
              EVP_DecryptUpdate(ctx, &out, &len, ciphertext, Int32(ciphertext.count)) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), &tag) == 1 else {
            throw .authenticationFailed
        }
        let total = len
        let finalOK = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard finalOK == 1 else { throw .authenticationFailed }
        return Array(out.prefix(Int(total + len)))
    }
}

/// Why AES-GCM could not seal or open.
public enum AESGCMError: Error, Equatable, CustomStringConvertible {
    /// An OpenSSL call failed (named).
    case cryptoFailure(String)
    /// The tag did not verify: wrong key, wrong associated data, or altered bytes.
    case authenticationFailed

    public var description: String {
        switch self {
        case .cryptoFailure(let call): "\(call) failed"
        case .authenticationFailed: "authentication failed"
        }
    }
}
