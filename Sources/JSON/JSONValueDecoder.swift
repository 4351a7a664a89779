/// `Decodable` from a `JSON` value or from UTF-8 text (parsed by `JSON.parse`, which refuses duplicate keys):
/// what IPC envelopes, command records and HTTP request bodies are read with. Errors are the standard
/// `DecodingError`s with their coding paths. An integer must be a whole number in its type's range; a missing
/// key of an optional decodes as nil.
public struct JSONValueDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSON) throws -> T {
        try ValueDecoder.unbox(value, as: T.self, codingPath: [])
    }

    /// Text that is not JSON is a `DecodingError.dataCorrupted` whose description says where and why.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let value: JSON
        do {
            value = try JSON.parse(bytes)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not JSON: \(error)"))
        }
        return try decode(type, from: value)
    }
}

struct ValueDecoder: Decoder {
    let value: JSON
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw ValueDecoder.mismatch([String: JSON].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedDecoding<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else { throw ValueDecoder.mismatch([JSON].self, value, codingPath) }
        return UnkeyedDecoding(array: array, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueDecoding(value: value, codingPath: codingPath) }

    static func mismatch(_ type: Any.Type, _ value: JSON, _ codingPath: [any CodingKey]) -> DecodingError {
        let found: String
        switch value {
        case .null: found = "null"
        case .bool: found = "a boolean"
        case .number: found = "a number"
        case .string: found = "a string"
        case .array: found = "an array"
        case .object: found = "an object"
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found \(found)"))
    }

    static func integer<I: FixedWidthInteger>(_ value: JSON, as type: I.Type, _ codingPath: () -> [any CodingKey]) throws -> I {
        guard case .number(let n) = value, n.rounded() == n, let i = I(exactly: n) else { throw mismatch(type, value, codingPath()) }
        return i
    }

    /// Leaves directly; anything else decodes itself from a decoder over `value`. The coding path is built only
    /// when it is needed (an error, or a nested value): a leaf costs no array.
    static func unbox<T: Decodable>(_ value: JSON, as type: T.Type, codingPath: @autoclosure () -> [any CodingKey]) throws -> T {
        switch type {
        case is JSON.Type: return value as! T
        case is String.Type:
            guard case .string(let s) = value else { throw mismatch(type, value, codingPath()) }
            return s as! T
        case is Bool.Type:
            guard case .bool(let b) = value else { throw mismatch(type, value, codingPath()) }
            return b as! T
        case is Double.Type:
            guard case .number(let n) = value else { throw mismatch(type, value, codingPath()) }
            return n as! T
        // Every other integer and floating-point type (their own `init(from:)` would come back here).
        case let integerType as any FixedWidthInteger.Type: return try integer(value, as: integerType, codingPath) as! T
        case let floatType as any BinaryFloatingPoint.Type:
            guard case .number(let n) = value else { throw mismatch(type, value, codingPath()) }
            return floatType.init(n) as! T
        default: return try T(from: ValueDecoder(value: value, codingPath: codingPath()))
        }
    }
}

struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSON]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    func value(_ key: Key) throws -> JSON {
        guard let v = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \(key.stringValue)"))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key) == .null }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try ValueDecoder.unbox(try value(key), as: type, codingPath: codingPath + [key])
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { ValueDecoder(value: object["super"] ?? .null, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { ValueDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key]) }
}

struct UnkeyedDecoding: UnkeyedDecodingContainer {
    let array: [JSON]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    init(array: [JSON], codingPath: [any CodingKey]) {
        self.array = array
        self.codingPath = codingPath
    }

    mutating func next<T>(_ type: T.Type) throws -> JSON {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "the array ended"))
        }
        defer { currentIndex += 1 }
        return array[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, array[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let index = currentIndex
        return try ValueDecoder.unbox(try next(type), as: type, codingPath: codingPath + [IndexKey(index)])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(currentIndex)]
        return try ValueDecoder(value: try next([String: JSON].self), codingPath: path).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let path = codingPath + [IndexKey(currentIndex)]
        return try ValueDecoder(value: try next([JSON].self), codingPath: path).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder {
        let path = codingPath + [IndexKey(currentIndex)]
        return ValueDecoder(value: try next(JSON.self), codingPath: path)
    }
}

struct SingleValueDecoding: SingleValueDecodingContainer {
    let value: JSON
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try ValueDecoder.unbox(value, as: type, codingPath: codingPath) }
}

extension JSON: Decodable {
    /// Any JSON value, as it is (with `JSONValueDecoder` the parsed value itself).
    public init(from decoder: any Decoder) throws {
        if let own = decoder as? ValueDecoder { self = own.value; return }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }
}
