import COpenSSL

/// Cryptographically secure random bytes from libcrypto's DRBG (`RAND_bytes`),
/// for salts, signing keys and opaque tokens.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max))
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // RAND_bytes fails only when the DRBG cannot be seeded: handing out predictable
        // keys or tokens would be worse than stopping, so stop.
        guard ok == 1 else { fatalError("RAND_bytes failed: the system random source is unavailable") }
        return out
    }
}
