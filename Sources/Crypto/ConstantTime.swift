import COpenSSL

/// Comparisons whose running time does not depend on where secret bytes differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, compared with `CRYPTO_memcmp` so a
    /// timing observer learns nothing about the position of the first difference.
    /// The lengths are not secret (signatures and hashes have a fixed size), so a
    /// length mismatch answers false at once.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return withBytes(a) { pa in
            withBytes(b) { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
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
