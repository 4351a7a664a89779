import COpenSSL

/// SHA-256 (FIPS 180-4) from libcrypto.
public enum SHA256 {
    /// The digest size in bytes.
    public static let byteCount = 32

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var size: UInt32 = 0
        let ok = withBytes(bytes) { input in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &size, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only when libcrypto cannot allocate: nothing sensible is left to do.
        precondition(ok == 1 && size == UInt32(byteCount), "EVP_Digest(SHA-256) failed")
        return digest
    }
}

/// HMAC-SHA-256 (RFC 2104, FIPS 198-1) from libcrypto.
public enum HMACSHA256 {
    /// The tag size in bytes.
    public static let byteCount = 32

    /// The HMAC-SHA-256 tag of `message` under `key`.
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: byteCount)
        var size: UInt32 = 0
        let result = withBytes(key) { k in
            withBytes(message) { m in
                tag.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, out.baseAddress, &size)
                }
            }
        }
        precondition(result != nil && size == UInt32(byteCount), "HMAC(SHA-256) failed")
        return tag
    }
}

/// Calls `body` with a contiguous view of `bytes` whose base address is never nil:
/// libcrypto treats a NULL key or input as "absent" even when the length is 0.
@inline(__always)
func withBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if bytes.isEmpty {
        var dummy: UInt8 = 0
        return withUnsafePointer(to: &dummy) { body(UnsafeBufferPointer(start: $0, count: 0)) }
    }
    if let r = bytes.withContiguousStorageIfAvailable({ body($0) }) { return r }
    return Array(bytes).withUnsafeBufferPointer { body($0) }
}
