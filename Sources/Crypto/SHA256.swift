import COpenSSL

/// SHA-256 (FIPS 180-4).
public enum SHA256 {
    public static let byteCount = 32
    /// The block size HMAC pads keys to (RFC 2104 §2).
    public static let blockByteCount = 64

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        _ = COpenSSL.SHA256(bytes, bytes.count, &digest)
        return digest
    }
}
