extension JSON.Parser {
    /// Keys one object may hold before `skipValue` leaves the object to `value(depth:)`: its repeated-key
    /// check compares each key with the ones before it.
    static let maximumSkippedKeys = 64

    /// Moves past the value at `index` when `value(depth:)` would accept it, building nothing (no strings,
    /// arrays or dictionaries): the gateway worker checks a whole dispatch this way and parses only what it
    /// reads. False when `value(depth:)` would refuse the text, and also when deciding needs what
    /// `value(depth:)` builds: an object key with an escape or a non-ASCII byte (two such keys are the same
    /// key when they are equal as Strings, that is by Unicode canonical equivalence, not by their bytes) or
    /// an object of more than `maximumSkippedKeys` keys. After false, parse the text with `value(depth:)`:
    /// it gives the value or the error. `keys` is scratch space for the keys of the open objects.
    mutating func skipValue(depth: Int, keys: inout [SkippedKey]) -> Bool {
        guard depth < 128, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            var none: [(key: Range<Int>, value: Range<Int>)]? = nil
            return skipObject(depth: depth, keys: &keys, members: &none)
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return true }
            while true {
                skipWhitespace()
                guard skipValue(depth: depth + 1, keys: &keys) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return true }
                return false
            }
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "t"):
            return (try? literal("true")) != nil
        case UInt8(ascii: "f"):
            return (try? literal("false")) != nil
        case UInt8(ascii: "n"):
            return (try? literal("null")) != nil
        default:
            return (try? number()) != nil
        }
    }

    /// `skipValue` for the object at `index`, noting where each member's key (without quotes) and value
    /// are in `members` when it is not nil.
    mutating func skipObject(depth: Int, keys: inout [SkippedKey], members: inout [(key: Range<Int>, value: Range<Int>)]?) -> Bool {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return true }
        let first = keys.count
        defer { keys.removeLast(keys.count - first) }
        while true {
            skipWhitespace()
            guard let key = skipPlainKey(), keys.count - first < Self.maximumSkippedKeys else { return false }
            // RFC 7493 §2.3, as `value(depth:)` refuses them: ASCII keys are equal as Strings exactly when
            // their bytes are. Compared by length and leading bytes first.
            let skipped = SkippedKey(key, in: bytes)
            for other in keys[first...] where other.fingerprint == skipped.fingerprint {
                if bytes[other.range].elementsEqual(bytes[key]) { return false }
            }
            keys.append(skipped)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            let valueStart = index
            guard skipValue(depth: depth + 1, keys: &keys) else { return false }
            members?.append((key, valueStart..<index))
            skipWhitespace()
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return true }
            return false
        }
    }

    /// The content of the key at `index` and moves past it, when it is printable ASCII without escapes.
    private mutating func skipPlainKey() -> Range<Int>? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        var i = index + 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                defer { index = i + 1 }
                return (index + 1)..<i
            }
            guard c >= 0x20, c < 0x80, c != UInt8(ascii: "\\") else { return nil }
            i += 1
        }
        return nil
    }

    /// Moves past the string at `index` when `string()` would accept it.
    private mutating func skipString() -> Bool {
        let open = index
        var i = index + 1
        var bits: UInt8 = 0
        while i < bytes.count {
            // Eight bytes at a time while none is a quote, a backslash, a control character or non-ASCII.
            while i + 8 <= bytes.count, !Self.hasSpecialByte(UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                i += 8
            }
            guard i < bytes.count else { return false }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                guard bits < 0x80 || Self.isUTF8(UnsafeBufferPointer(rebasing: bytes[(open + 1)..<i])) else { return false }
                index = i + 1
                return true
            }
            if c == UInt8(ascii: "\\") {
                // Escapes are rare in what the gateway sends: `string()` decides them.
                index = open
                return (try? string()) != nil
            }
            if c < 0x20 { return false }
            bits |= c
            i += 1
        }
        return false
    }

    /// True when one of the eight bytes in `word` is `"`, `\`, below 0x20 or above 0x7F (each test is the
    /// classic "has a zero byte" bit trick, exact when there is none).
    @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        let found = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
        return found & highs != 0
    }

    /// True when one of the eight bytes in `word` is `"` or `\`.
    @inline(__always)
    static func hasQuoteOrBackslash(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        return (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs != 0
    }

    /// Well-formed UTF-8 (Unicode 15 §3.9 table 3-7), as `String(validating:as:)` requires it: no overlong
    /// forms, no surrogates, nothing above U+10FFFF.
    static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let count: Int, lower: UInt8, upper: UInt8
            switch b {
            case 0xC2...0xDF: (count, lower, upper) = (1, 0x80, 0xBF)
            case 0xE0: (count, lower, upper) = (2, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (count, lower, upper) = (2, 0x80, 0xBF)
            case 0xED: (count, lower, upper) = (2, 0x80, 0x9F)
            case 0xF0: (count, lower, upper) = (3, 0x90, 0xBF)
            case 0xF1...0xF3: (count, lower, upper) = (3, 0x80, 0xBF)
            case 0xF4: (count, lower, upper) = (3, 0x80, 0x8F)
            default: return false
            }
            guard i + count < bytes.count, bytes[i + 1] >= lower, bytes[i + 1] <= upper else { return false }
            for k in 2..<(count + 1) where bytes[i + k] < 0x80 || bytes[i + k] > 0xBF { return false }
            i += count + 1
        }
        return true
    }
}

/// An object key `JSON.Parser.skipObject` has seen: where it is, and its length with its first bytes in one
/// word, so most keys are told apart without comparing their bytes.
struct SkippedKey {
    let range: Range<Int>
    let fingerprint: UInt64

    init(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) {
        self.range = range
        var word = UInt64(min(range.count, 255)) << 56
        for (shift, i) in zip(stride(from: 0, to: 56, by: 8), range) { word |= UInt64(bytes[i]) << UInt64(shift) }
        fingerprint = word
    }
}
