/// A JSON value parsed only as far as it is read: the text, checked in full as `JSON.parse` checks it, and
/// built into `JSON` values member by member when asked. A gateway worker routes tens of thousands of
/// dispatches a second and reads two or three members of most; building each one's whole tree of
/// dictionaries was most of its CPU (issue 16).
public struct LazyJSON: Sendable, Equatable, CustomStringConvertible {
    enum Storage: Sendable {
        case value(JSON)
        /// `text[range]` is one value that `JSON.Parser.skipValue` accepted: every object key in it is
        /// printable ASCII without escapes.
        case text([UInt8], Range<Int>)
    }

    let storage: Storage

    public init(_ value: JSON) { storage = .value(value) }

    init(text: [UInt8], range: Range<Int>) { storage = .text(text, range) }

    /// Checks `bytes` as `JSON.parse` does (the same values accepted, the same errors thrown) and keeps them.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> LazyJSON {
        let checked = bytes.withUnsafeBufferPointer { buffer -> Range<Int>? in
            var parser = JSON.Parser(bytes: buffer)
            var keys: [SkippedKey] = []
            keys.reserveCapacity(32)
            parser.skipWhitespace()
            let start = parser.index
            guard parser.skipValue(depth: 0, keys: &keys) else { return nil }
            let end = parser.index
            parser.skipWhitespace()
            return parser.index == buffer.count ? start..<end : nil
        }
        if let checked { return LazyJSON(text: bytes, range: checked) }
        // Refused, or left undecided: the full parser gives the value or the error.
        return LazyJSON(try JSON.parse(bytes))
    }

    /// `parse` for a text that should be an object, with its members in the order of the text: one pass
    /// over the text where `parse` and `members` make two. Nil for a value that is not an object.
    public static func parseObject(_ bytes: [UInt8]) throws(JSONError) -> [(key: String, value: LazyJSON)]? {
        let checked = bytes.withUnsafeBufferPointer { buffer -> [(key: Range<Int>, value: Range<Int>)]? in
            var parser = JSON.Parser(bytes: buffer)
            var keys: [SkippedKey] = []
            keys.reserveCapacity(32)
            parser.skipWhitespace()
            guard parser.index < buffer.count, buffer[parser.index] == UInt8(ascii: "{") else { return nil }
            var members: [(key: Range<Int>, value: Range<Int>)]? = []
            members!.reserveCapacity(8)
            guard parser.skipObject(depth: 0, keys: &keys, members: &members) else { return nil }
            parser.skipWhitespace()
            return parser.index == buffer.count ? members : nil
        }
        guard let checked else { return try parse(bytes).members }
        return checked.map { (String(decoding: bytes[$0.key], as: UTF8.self), LazyJSON(text: bytes, range: $0.value)) }
    }

    /// The whole value.
    public var value: JSON {
        switch storage {
        case .value(let v): return v
        case .text(let text, let range):
            // Cannot fail: `skipValue` accepted this text, and it accepts nothing that `value(depth:)` refuses
            // (JSONTests fuzz the two against each other).
            return text.withUnsafeBufferPointer { (try? JSON.parse(UnsafeBufferPointer(rebasing: $0[range]))) ?? .null }
        }
    }

    /// The member named `key` of an object; nil for a missing key or a value that is not an object.
    public subscript(key: String) -> LazyJSON? {
        switch storage {
        case .value(let v): return v[key].map(LazyJSON.init)
        case .text(let text, let range):
            var found: Range<Int>?
            var key = key
            key.withUTF8 { wanted in
                text.withUnsafeBufferPointer { buffer in
                    forEachMember(buffer, range) { name, value in
                        guard name.count == wanted.count, buffer[name].elementsEqual(wanted) else { return true }
                        found = value
                        return false
                    }
                }
            }
            return found.map { LazyJSON(text: text, range: $0) }
        }
    }

    /// The members of an object in the order of its text; nil for a value that is not an object.
    public var members: [(key: String, value: LazyJSON)]? {
        switch storage {
        case .value(let v): return v.object.map { $0.map { (key: $0.key, value: LazyJSON($0.value)) } }
        case .text(let text, let range):
            guard text[range.lowerBound] == UInt8(ascii: "{") else { return nil }
            var members: [(key: String, value: LazyJSON)] = []
            text.withUnsafeBufferPointer { buffer in
                forEachMember(buffer, range) { name, value in
                    members.append((String(decoding: UnsafeBufferPointer(rebasing: buffer[name]), as: UTF8.self), LazyJSON(text: text, range: value)))
                    return true
                }
            }
            return members
        }
    }

    /// The first byte of the text, which says what kind of value it is.
    private var lead: UInt8? {
        if case .text(let text, let range) = storage { text[range.lowerBound] } else { nil }
    }

    public var string: String? { lead.map { $0 == UInt8(ascii: "\"") } == false ? nil : value.string }
    public var int: Int? { lead.map { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) } == false ? nil : value.int }
    public var double: Double? { lead.map { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) } == false ? nil : value.double }
    public var bool: Bool? { lead.map { $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: "f") } == false ? nil : value.bool }
    public var isNull: Bool { lead.map { $0 == UInt8(ascii: "n") } ?? value.isNull }

    /// Compact, sorted text, as `JSON.serialized()` writes it.
    public var description: String { value.serialized() }

    public static func == (a: LazyJSON, b: LazyJSON) -> Bool { a.value == b.value }
}

/// Calls `body` with each member's key (without its quotes) and value of the object at `range` of checked
/// text, until it returns false. Nothing is checked again: the text was.
private func forEachMember(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>, Range<Int>) -> Bool) {
    var i = range.lowerBound
    guard bytes[i] == UInt8(ascii: "{") else { return }
    i += 1
    while true {
        skipSpace(bytes, &i)
        guard bytes[i] == UInt8(ascii: "\"") else { return } // `}` of an empty object
        let nameStart = i + 1
        skipChecked(bytes, &i)
        let name = nameStart..<(i - 1)
        skipSpace(bytes, &i)
        i += 1 // :
        skipSpace(bytes, &i)
        let valueStart = i
        skipChecked(bytes, &i)
        guard body(name, valueStart..<i) else { return }
        skipSpace(bytes, &i)
        guard bytes[i] == UInt8(ascii: ",") else { return }
        i += 1
    }
}

private func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
    while i < bytes.count, bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 }
}

/// Moves past one value of checked text.
private func skipChecked(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
    var depth = 0
    repeat {
        switch bytes[i] {
        case UInt8(ascii: "\""):
            i += 1
            while true {
                while i + 8 <= bytes.count, !JSON.Parser.hasQuoteOrBackslash(UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                }
                if bytes[i] == UInt8(ascii: "\"") { break }
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            i += 1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            i += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            i += 1
        case UInt8(ascii: ","), UInt8(ascii: ":"), 32, 10, 13, 9:
            i += 1
        default:
            // A number or a literal: up to the next delimiter.
            i += 1
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 32 || c == 10 || c == 13 || c == 9 { break }
                i += 1
            }
        }
    } while depth > 0
}
