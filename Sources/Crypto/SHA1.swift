import COpenSSL

/// SHA-1 (FIPS 180-4). Only for protocols that require it, such as the WebSocket
/// handshake's `Sec-WebSocket-Accept` (RFC 6455 §4.2.2); never for security.
public enum SHA1 {
    public static let byteCount = 20

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        _ = COpenSSL.SHA1(bytes, bytes.count, &digest)
        return digest
    }
}
