import COpenSSL

/// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA-256 as the pseudorandom function, from
/// libcrypto's `PKCS5_PBKDF2_HMAC`.
public enum PBKDF2 {
    /// The parameters OWASP's Password Storage Cheat Sheet recommends today for
    /// PBKDF2-HMAC-SHA256: 600,000 iterations; a 16-byte (128-bit) random salt
    /// (NIST SP 800-132 asks for at least 128 bits); a 32-byte output, the size of
    /// one SHA-256 block of output, so the defender computes exactly one block.
    public static let recommendedIterations = 600_000
    public static let recommendedSaltByteCount = 16
    public static let recommendedByteCount = 32

    /// Derives `byteCount` bytes from `password` and `salt` with `iterations` rounds.
    public static func sha256(password: some Collection<UInt8>, salt: some Collection<UInt8>,
                              iterations: Int, byteCount: Int = recommendedByteCount) -> [UInt8] {
        precondition(iterations >= 1 && iterations <= Int(Int32.max), "PBKDF2 iterations out of range")
        precondition(byteCount >= 1 && byteCount <= 1024, "PBKDF2 output size out of range")
        var out = [UInt8](repeating: 0, count: byteCount)
        let ok = withBytes(password) { p in
            withBytes(salt) { s in
                out.withUnsafeMutableBufferPointer { o in
                    p.withMemoryRebound(to: CChar.self) { pc in
                        PKCS5_PBKDF2_HMAC(pc.baseAddress, Int32(pc.count), s.baseAddress, Int32(s.count),
                                          Int32(iterations), EVP_sha256(), Int32(byteCount), o.baseAddress)
                    }
                }
            }
        }
        // It fails only when libcrypto cannot allocate its HMAC context.
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return out
    }
}
