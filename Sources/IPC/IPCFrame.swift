/// Frame encoding.
public enum IPCFrame {
    public static let defaultMaximumSize = 1 << 20

    /// Prefixes `payload` with its 4-byte big-endian length.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 4)
        let n = UInt32(payload.count)
        out.append(UInt8(n >> 24))
        out.append(UInt8((n >> 16) & 0xff))
        out.append(UInt8((n >> 8) & 0xff))
        out.append(UInt8(n & 0xff))
        out.append(contentsOf: payload)
        return out
    }
}
