extension JSON {
    /// True when `text` is byte for byte what `serialized()` writes for the value it parses to, so a
    /// writer may copy it instead of parsing and writing it again (a log page holds 50 stored option
    /// objects, and parsing them cost more than the query). Conservative: it accepts only compact JSON
    /// whose object keys are ASCII in strictly rising order, strings without escapes or control
    /// characters, integers of at most 15 digits (no `-0`), and at most 32 levels; false says only
    /// "parse it".
    public static func isSerializedForm(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = SerializedFormScanner(bytes: bytes)
            return scanner.value(depth: 0) && scanner.index == bytes.count
        }
    }
}

/// The recogniser behind `JSON.isSerializedForm`: one pass, no allocation.
struct SerializedFormScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    private func at(_ ascii: Unicode.Scalar) -> Bool { index < bytes.count && bytes[index] == UInt8(ascii: ascii) }

    mutating func value(depth: Int) -> Bool {
        guard depth < 32, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            if at("}") { index += 1; return true }
            var previous: Range<Int>?
            while true {
                // `serialized()` sorts keys as Strings: for ASCII that is byte order.
                guard let key = string(asciiOnly: true) else { return false }
                if let previous, !bytes[previous].lexicographicallyPrecedes(bytes[key]) { return false }
                previous = key
                guard at(":") else { return false }
                index += 1
                guard value(depth: depth + 1) else { return false }
                if at(",") { index += 1; continue }
                guard at("}") else { return false }
                index += 1
                return true
            }
        case UInt8(ascii: "["):
            index += 1
            if at("]") { index += 1; return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                if at(",") { index += 1; continue }
                guard at("]") else { return false }
                index += 1
                return true
            }
        case UInt8(ascii: "\""):
            return string(asciiOnly: false) != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default:
            return integer()
        }
    }

    /// The content of a string at `index` that `JSON.appendQuoted` writes back unchanged.
    private mutating func string(asciiOnly: Bool) -> Range<Int>? {
        guard at("\"") else { return nil }
        let start = index + 1
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                index = i + 1
                return start..<i
            }
            if b < 0x20 || b == UInt8(ascii: "\\") || (asciiOnly && b >= 0x80) { return nil }
            i += 1
        }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
        index += count
        return true
    }

    /// `0` or an optional minus and 1-15 digits without a leading zero: a Double holds it exactly and
    /// `serialized()` writes it as the same integer.
    private mutating func integer() -> Bool {
        let negative = at("-")
        if negative { index += 1 }
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        let digits = index - start
        guard digits >= 1, digits <= 15 else { return false }
        return bytes[start] != UInt8(ascii: "0") || (digits == 1 && !negative)
    }
}
