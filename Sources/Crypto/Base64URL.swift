/// The URL-safe base64 alphabet without padding (RFC 4648 §5), as JWS compact
/// serialization uses it (RFC 7515 §2). Decoding is strict: no padding, no
/// whitespace, no characters outside the alphabet, and the unused low bits of the
/// last character must be zero, so every byte string has exactly one encoding and
/// a token cannot be altered without changing what it decodes to.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// The unpadded base64url text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        default: break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not canonical unpadded base64url.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(Array(text.utf8))
    }

    public static func decode(_ chars: [UInt8]) -> [UInt8]? {
        // A single leftover character carries only 6 bits: never a whole byte.
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = table[Int(c)]
            guard v >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        // RFC 4648 §3.5: the pad bits must be zero for the encoding to be canonical.
        guard buffer == 0 else { return nil }
        return out
    }
}

/// Standard base64 with padding (RFC 4648 §4), as `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` use it
/// (RFC 6455 §4.1, §4.2.2): the base64url coder with the two characters that differ swapped, and strict the
/// same way (canonical, the padding exactly what the length needs).
public enum Base64 {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let url = Base64URL.encode(bytes)
        let padding = String(repeating: "=", count: (4 - url.utf8.count % 4) % 4)
        return String(decoding: url.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 },
                      as: UTF8.self) + padding
    }

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var padding = 0
        while padding < 2, chars.last == UInt8(ascii: "=") { chars.removeLast(); padding += 1 }
        // Standard characters only: a base64url text is not base64.
        guard !chars.contains(UInt8(ascii: "-")) && !chars.contains(UInt8(ascii: "_")) else { return nil }
        let url = chars.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 }
        return Base64URL.decode(url)
    }
}
