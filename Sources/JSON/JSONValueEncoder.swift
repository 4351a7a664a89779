/// `Encodable` to a `JSON` value (and to its compact text, keys sorted): what the IPC envelopes, command records
/// and HTTP responses are written with, so the worker links no Foundation. Like Foundation's encoder with
/// `.sortedKeys`: nil optionals are left out (`encodeIfPresent`), `encodeNil` writes null. Integers must be
/// under 9e15 in magnitude (JSON numbers here are doubles, and `serialized()` writes those as integers) and doubles
/// must be finite; anything else is an `EncodingError.invalidValue`, never a silently rounded number.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSON {
        let node = EncodingNode()
        try node.encode(value, codingPath: [])
        return node.json
    }

    /// Compact UTF-8 text, keys sorted.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] { try encode(value).bytes }
}

/// One value under construction: a leaf, or an array or object of nodes that nested containers may still fill.
final class EncodingNode {
    enum Content { case value(JSON), array([EncodingNode]), object([String: EncodingNode]) }
    var content: Content = .value(.null)

    var json: JSON {
        switch content {
        case .value(let v): v
        case .array(let a): .array(a.map(\.json))
        case .object(let o): .object(o.mapValues(\.json))
        }
    }

    func becomeObject() { if case .object = content {} else { content = .object([:]) } }
    func becomeArray() { if case .array = content {} else { content = .array([]) } }

    func child(_ key: String) -> EncodingNode {
        let node = EncodingNode()
        if case .object(var o) = content {
            content = .value(.null) // keep the dictionary uniquely referenced while it changes
            o[key] = node
            content = .object(o)
        }
        return node
    }

    func append() -> EncodingNode {
        let node = EncodingNode()
        if case .array(var a) = content {
            content = .value(.null)
            a.append(node)
            content = .array(a)
        }
        return node
    }

    var count: Int {
        switch content {
        case .array(let a): a.count
        case .object(let o): o.count
        case .value: 0
        }
    }

    /// Leaves are set directly; anything else encodes itself into this node.
    /// The coding path is built only when it is needed (an error, or a nested value): a leaf costs no array.
    func encode<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey]) throws {
        if let leaf = try EncodingNode.leaf(value, codingPath: codingPath) {
            content = .value(leaf)
        } else {
            try value.encode(to: ValueEncoder(node: self, codingPath: codingPath()))
        }
    }

    /// What `JSON.serialized()` still writes as an integer (below 2^53, so every such integer is exact).
    static let integerLimit: Int64 = 9_000_000_000_000_000

    static func number<I: BinaryInteger>(_ i: I, codingPath: () -> [any CodingKey]) throws -> JSON {
        guard let exact = Int64(exactly: i), exact > -integerLimit, exact < integerLimit else {
            throw EncodingError.invalidValue(i, .init(codingPath: codingPath(), debugDescription: "\(i) does not fit a JSON number exactly"))
        }
        return .number(Double(exact))
    }

    static func number(_ d: Double, codingPath: () -> [any CodingKey]) throws -> JSON {
        guard d.isFinite else { throw EncodingError.invalidValue(d, .init(codingPath: codingPath(), debugDescription: "\(d) is not a JSON number")) }
        return .number(d)
    }

    static func leaf<T: Encodable>(_ value: T, codingPath: () -> [any CodingKey]) throws -> JSON? {
        switch value {
        case let v as JSON: v
        case let v as String: .string(v)
        case let v as Bool: .bool(v)
        case let v as Double: try number(v, codingPath: codingPath)
        // Every other integer and floating-point type (their own `encode(to:)` would come back here).
        case let v as any BinaryInteger: try number(v, codingPath: codingPath)
        case let v as any BinaryFloatingPoint: try number(Double(v), codingPath: codingPath)
        default: nil
        }
    }
}

struct ValueEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedEncoding<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedEncoding(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueEncoding(node: node, codingPath: codingPath) }
}

struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try node.child(key.stringValue).encode(value, codingPath: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = node.child(key.stringValue)
        child.becomeObject()
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(node: child, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(key.stringValue)
        child.becomeArray()
        return UnkeyedEncoding(node: child, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.child("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]) }
}

struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    mutating func encodeNil() throws { node.append().content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try node.append().encode(value, codingPath: codingPath + [IndexKey(index)])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(count)]
        let child = node.append()
        child.becomeObject()
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(node: child, codingPath: path))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [IndexKey(count)]
        let child = node.append()
        child.becomeArray()
        return UnkeyedEncoding(node: child, codingPath: path)
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.append(), codingPath: codingPath) }
}

struct SingleValueEncoding: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, codingPath: codingPath) }
}

/// An array position in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { intValue.map(String.init) ?? "" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
