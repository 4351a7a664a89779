extension JSON {
    /// Indented text laid out as Foundation's `JSONEncoder` with `.prettyPrinted, .sortedKeys` lays it out (two
    /// spaces a level, `"key" : value`, an empty array or object as its brackets around an empty line), for people
    /// reading `botvisorctl --json`. Strings and numbers are written as `serialized()` writes them (`/` unescaped).
    public func prettySerialized() -> String {
        var out: [UInt8] = []
        writePretty(to: &out, indent: [])
        return String(decoding: out, as: UTF8.self)
    }

    func writePretty(to out: inout [UInt8], indent: [UInt8]) {
        let inner = indent + [0x20, 0x20]
        switch self {
        case .array(let a):
            out += Array("[\n".utf8)
            for (i, v) in a.enumerated() {
                if i > 0 { out += Array(",\n".utf8) }
                out += inner
                v.writePretty(to: &out, indent: inner)
            }
            out += [0x0A] + indent + Array("]".utf8)
        case .object(let o):
            out += Array("{\n".utf8)
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += Array(",\n".utf8) }
                out += inner
                JSON.appendQuoted(key, to: &out)
                out += Array(" : ".utf8)
                o[key]!.writePretty(to: &out, indent: inner)
            }
            out += [0x0A] + indent + Array("}".utf8)
        default:
            write(to: &out)
        }
    }
}
