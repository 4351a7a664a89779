#if canImport(Glibc)
import Glibc
#endif
import IOCore

extension Configuration {
    /// The file's text, or an error a person can act on: `/etc/x.conf: cannot read: No such file or directory`.
    static func readFile(_ path: String) throws -> String {
        func failure(_ reason: String) -> ConfigurationError {
            ConfigurationError(file: path, line: 0, message: "cannot read: \(reason)")
        }
        // A configuration file is small; the limit stops a mistaken path such as /dev/zero.
        let bytes: [UInt8]
        do {
            bytes = try IOCore.readFile(path, limit: 1 << 20)
        } catch let error as SystemError {
            throw failure(String(cString: strerror(error.errno)))
        }
        guard bytes.count <= 1 << 20 else { throw failure("larger than 1 MiB: not a configuration file") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw failure("not UTF-8 text") }
        return text
    }

    /// The value after `key =`: spaces trimmed, `"quotes"` removed, and an inline comment dropped.
    ///
    /// A `#` or `;` that follows a space or tab starts a comment (`listen = 0.0.0.0:8750  # all interfaces`);
    /// one inside a word stays (`api_base = https://host/#x`). Quote a value that needs ` #`.
    static func value(_ raw: Substring) throws -> String {
        let text = raw.trimmedOfWhitespace
        if text.hasPrefix("\"") {
            let body = text.dropFirst()
            guard let close = body.firstIndex(of: "\"") else { throw ValueError(message: "unterminated quoted value") }
            let rest = body[body.index(after: close)...].trimmedOfWhitespace
            guard rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") else {
                throw ValueError(message: "unexpected `\(rest)` after the quoted value")
            }
            return String(body[..<close])
        }
        var previous: Character = " "
        for index in text.indices {
            let c = text[index]
            if (c == "#" || c == ";") && (previous == " " || previous == "\t") {
                return text[..<index].trimmedOfWhitespace
            }
            previous = c
        }
        return text
    }

    /// Settings that are each valid alone but wrong together.
    func checkRelations(file: String, lineOf: [String: Int]) throws {
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ConfigurationError(file: file, line: lineOf["http.tls_certificate"] ?? lineOf["http.tls_key"] ?? 0,
                                     message: "[http] tls_certificate and tls_key go together: set both or neither")
        }
        if heartbeatTimeout <= heartbeatInterval {
            throw ConfigurationError(
                file: file, line: lineOf["restart.heartbeat_timeout"] ?? lineOf["restart.heartbeat_interval"] ?? 0,
                message: "[restart] heartbeat_timeout (\(heartbeatTimeout)) must be longer than heartbeat_interval "
                    + "(\(heartbeatInterval)): every worker would be killed as silent; a few intervals is usual")
        }
    }
}
