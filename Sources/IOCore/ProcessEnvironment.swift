#if canImport(Glibc)
import Glibc
#endif

/// This process's environment as a dictionary (what Foundation's `ProcessInfo.processInfo.environment` gave).
public enum ProcessEnvironment {
    /// Every `NAME=value` of `environ`; a name that appears twice keeps its first value, as `getenv` would.
    public static var current: [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if out[name] == nil { out[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return out
    }
}
