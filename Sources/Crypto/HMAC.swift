import COpenSSL

/// HMAC-SHA256 (RFC 2104, FIPS 198-1), as JWT's HS256 and PBKDF2 use it.
public enum HMAC {
    /// The 32-byte HMAC-SHA256 of `message` under `key` (keys of any length; RFC 2104 §2 hashes long ones).
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                COpenSSL.HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &digest, &length)
            }
        }
        // HMAC only fails when OpenSSL cannot allocate; there is no answer to give then.
        precondition(result != nil && length == 32, "HMAC-SHA256 failed")
        return Array(digest.prefix(Int(length)))
    }

    /// Compares two MACs in time that does not depend on where they differ.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}
