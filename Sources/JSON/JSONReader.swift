/// A pull reader over UTF-8 JSON text: objects key by key, arrays element by element, leaves as Swift values,
/// with no `JSON` tree in between. For hot messages decoded straight from their bytes (the IPC `commands`
/// batch); everything else goes through `JSON.parse` and `JSONValueDecoder`.
///
/// It reads with `JSON.parse`'s own parser (same strings, numbers, literals, depth limit) and refuses what
/// `JSON.parse` refuses, except duplicate keys, which are the caller's to notice (it knows its keys). A caller
/// can so fall back to the generic path on any error and report that path's message. The bytes must outlive
/// the reader.
public struct JSONReader {
    var parser: JSON.Parser

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        parser = JSON.Parser(bytes: bytes)
        parser.skipWhitespace()
    }

    /// Consumes `{`.
    public mutating func beginObject() throws(JSONError) { try expect(UInt8(ascii: "{"), "expected {") }

    /// Consumes `[`.
    public mutating func beginArray() throws(JSONError) { try expect(UInt8(ascii: "["), "expected [") }

    /// The next key of the object begun with `beginObject` (and its `:`), or nil once its `}` is consumed.
    /// `first` is true before the first key and is cleared here.
    public mutating func nextKey(first: inout Bool) throws(JSONError) -> String? {
        guard try nextItem(first: &first, closing: UInt8(ascii: "}")) else { return nil }
        guard peek == UInt8(ascii: "\"") else { throw parser.fail("expected a key") }
        let key = try parser.string()
        parser.skipWhitespace()
        try expect(UInt8(ascii: ":"), "expected :")
        return key
    }

    /// True when the array begun with `beginArray` has another element (the reader is at it), false once its
    /// `]` is consumed.
    public mutating func nextElement(first: inout Bool) throws(JSONError) -> Bool {
        try nextItem(first: &first, closing: UInt8(ascii: "]"))
    }

    public mutating func string() throws(JSONError) -> String {
        guard peek == UInt8(ascii: "\"") else { throw parser.fail("expected a string") }
        let s = try parser.string()
        parser.skipWhitespace()
        return s
    }

    /// A string, or nil for `null`.
    public mutating func optionalString() throws(JSONError) -> String? {
        if try null() { return nil }
        return try string()
    }

    /// A number that is a whole `Int64` (as `JSONValueDecoder` reads integers: through `Double`).
    public mutating func int64() throws(JSONError) -> Int64 {
        let n = try number()
        guard n.rounded() == n, let i = Int64(exactly: n) else { throw parser.fail("not a whole Int64") }
        return i
    }

    /// A number that is a whole `UInt64`, or nil for `null`.
    public mutating func optionalUInt64() throws(JSONError) -> UInt64? {
        if try null() { return nil }
        let n = try number()
        guard n.rounded() == n, let i = UInt64(exactly: n) else { throw parser.fail("not a whole UInt64") }
        return i
    }

    private mutating func number() throws(JSONError) -> Double {
        guard let c = peek, c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else { throw parser.fail("expected a number") }
        let n = try parser.number()
        parser.skipWhitespace()
        return n
    }

    /// Consumes `null` and returns true, or returns false at any other value.
    private mutating func null() throws(JSONError) -> Bool {
        guard peek == UInt8(ascii: "n") else { return false }
        try parser.literal("null")
        parser.skipWhitespace()
        return true
    }

    /// Throws unless every byte was read.
    public func end() throws(JSONError) {
        guard parser.index == parser.bytes.count else { throw parser.fail("trailing characters") }
    }

    // MARK: Internals

    private var peek: UInt8? { parser.index < parser.bytes.count ? parser.bytes[parser.index] : nil }

    /// `message` is built only for an error: an interpolated one cost a tenth of reading a batch.
    private mutating func expect(_ byte: UInt8, _ message: @autoclosure () -> String) throws(JSONError) {
        guard peek == byte else { throw parser.fail(peek == nil ? "unexpected end" : message()) }
        parser.index += 1
        parser.skipWhitespace()
    }

    private mutating func nextItem(first: inout Bool, closing: UInt8) throws(JSONError) -> Bool {
        if peek == closing {
            // `[]` / `{}`, or the end after an element.
            parser.index += 1
            parser.skipWhitespace()
            first = false
            return false
        }
        if first {
            first = false
        } else {
            try expect(UInt8(ascii: ","), "expected , or \(Character(Unicode.Scalar(closing)))")
        }
        return true
    }
}
