extension JSON {
    /// Indented text laid out as Foundation's `JSONEncoder` with `.prettyPrinted, .sortedKeys` lays it out (two
    /// spaces a level, `"key" : value`, an empty array or object as its brackets around an empty line), for people
    /// reading `botvisorctl --json`. Strings and numbers are written as `serialized()` writes them (`/` unescaped).
    public func prettySerialized() -> String {
        var out = ""
        writePretty(to: &out, indent: "")
        return out
    }

    func writePretty(to out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let a):
            out += "[\n"
            for (i, v) in a.enumerated() {
                if i > 0 { out += ",\n" }
                out += inner
                v.writePretty(to: &out, indent: inner)
            }
            out += "\n" + indent + "]"
        case .object(let o):
            out += "{\n"
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += ",\n" }
                out += inner
                JSON.writeString(key, to: &out)
                out += " : "
                o[key]!.writePretty(to: &out, indent: inner)
            }
            out += "\n" + indent + "}"
        default:
            write(to: &out)
        }
    }
}
