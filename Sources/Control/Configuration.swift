import Fleet
import FoundationEssentials

/// botvisord's configuration, read from an INI-style file (see etc/botvisor.conf).
public struct Configuration: Sendable, Equatable {
    public var httpListen = ListenAddress(host: "127.0.0.1", port: 8750)
    /// Clients following `/api/v1/events` at once (`[http] max_event_clients`); the next one gets 503.
    public var maxEventClients = 100
    public var stateDirectory: String
    public var runtimeDirectory: String
    /// Group that may use the control socket (mode 0660); nil keeps the daemon's group.
    public var controlGroup: String?
    public var apiBase = "https://discord.com/api/v10"
    public var restart = RestartPolicy.Settings()
    public var stopTimeout: Duration = .seconds(10)
    public var heartbeatInterval: Duration = .seconds(2)
    public var heartbeatTimeout: Duration = .seconds(10)
    public var logRetention: Duration = .seconds(30 * 86_400)
    /// The database's size cap (`[logs] max_db_size`): past it the oldest command records are deleted,
    /// whatever their age. 0: no cap.
    public var maxDatabaseBytes: Int = 1 << 30
    /// Metric samples older than this are deleted (`[metrics] retention`).
    public var metricsRetention: Duration = .seconds(90 * 86_400)
    /// How often each worker and the supervisor are sampled (`[metrics] sample_interval`).
    public var metricsSampleInterval: Duration = .seconds(10)
    public var logLevel = "info"

    /// Defaults, with systemd's `STATE_DIRECTORY`/`RUNTIME_DIRECTORY` when set, else `./botvisor-data`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        stateDirectory = environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init) ?? "./botvisor-data"
        runtimeDirectory = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init) ?? "./botvisor-data"
    }

    /// `host:port` for the HTTP listener.
    public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// Reads and validates a configuration file. Unknown sections or keys and bad
    /// values are errors naming `file:line`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        try parse(try readFile(path), file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String = "<config>",
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        var config = Configuration(environment: environment)
        var section: String?
        var seen: Set<String> = []
        var lineOf: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            func fail(_ message: String) -> ConfigurationError {
                ConfigurationError(file: file, line: lineNumber, message: message)
            }
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmedOfWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else { throw fail("unterminated section header") }
                let name = trimmed.dropFirst().dropLast().trimmedOfWhitespace
                guard Configuration.keys[name] != nil else {
                    throw fail("unknown section [\(name)]; known: \(Configuration.keys.keys.sorted().joined(separator: ", "))")
                }
                section = name
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else { throw fail("expected `key = value`") }
            let key = trimmed[..<eq].trimmedOfWhitespace
            let value: String
            do {
                value = try Configuration.value(trimmed[trimmed.index(after: eq)...])
            } catch let message as ValueError {
                throw fail(message.message)
            }
            guard let section else { throw fail("`\(key)` appears before any [section]") }
            guard Configuration.keys[section]!.contains(key) else {
                throw fail("unknown key `\(key)` in [\(section)]; known: \(Configuration.keys[section]!.joined(separator: ", "))")
            }
            guard seen.insert("\(section).\(key)").inserted else { throw fail("`\(key)` set twice in [\(section)]") }
            lineOf["\(section).\(key)"] = lineNumber
            do {
                try config.set(section: section, key: key, value: value)
            } catch let message as ValueError {
                throw fail("[\(section)] \(key): \(message.message)")
            }
        }
        if section == nil {
            throw ConfigurationError(file: file, line: 0, message: "the file sets nothing (no [section]): is it the right file? etc/botvisor.conf shows every key")
        }
        if config.restart.initialBackoff > config.restart.maximumBackoff {
            throw ConfigurationError(file: file, line: 0, message: "[restart] backoff_initial exceeds backoff_max")
        }
        try config.checkRelations(file: file, lineOf: lineOf)
        return config
    }

    /// Every section and its keys.
    package static let keys: [String: [String]] = [
        "http": ["listen", "max_event_clients"],
        "paths": ["state_dir", "runtime_dir"],
        "control": ["group"],
        "discord": ["api_base"],
        "restart": ["backoff_initial", "backoff_max", "budget", "budget_window", "healthy_after",
                    "stop_timeout", "heartbeat_interval", "heartbeat_timeout"],
        "logs": ["retention", "max_db_size", "level"],
        "metrics": ["retention", "sample_interval"],
    ]

    package struct ValueError: Error { var message: String
        package init(message: String) { self.message = message }
    }

    private mutating func set(section: String, key: String, value: String) throws {
        switch (section, key) {
        case ("http", "listen"): httpListen = try Configuration.listenAddress(value)
        case ("http", "max_event_clients"): maxEventClients = try Configuration.positiveInt(value)
        case ("paths", "state_dir"): stateDirectory = try Configuration.path(value)
        case ("paths", "runtime_dir"): runtimeDirectory = try Configuration.path(value)
        case ("control", "group"): controlGroup = value.isEmpty ? nil : value
        case ("discord", "api_base"):
            guard value.hasPrefix("https://") || value.hasPrefix("http://") else {
                throw ValueError(message: "expected an http:// or https:// URL, got `\(value)`")
            }
            apiBase = value.hasSuffix("/") ? String(value.dropLast()) : value
        case ("restart", "backoff_initial"): restart.initialBackoff = try Configuration.duration(value, allowingZero: true)
        case ("restart", "backoff_max"): restart.maximumBackoff = try Configuration.duration(value)
        case ("restart", "budget"): restart.budget = try Configuration.positiveInt(value)
        case ("restart", "budget_window"): restart.budgetWindow = try Configuration.duration(value)
        case ("restart", "healthy_after"): restart.healthyAfter = try Configuration.duration(value)
        case ("restart", "stop_timeout"): stopTimeout = try Configuration.duration(value)
        case ("restart", "heartbeat_interval"): heartbeatInterval = try Configuration.duration(value)
        case ("restart", "heartbeat_timeout"): heartbeatTimeout = try Configuration.duration(value)
        case ("logs", "retention"): logRetention = try Configuration.duration(value)
        case ("logs", "max_db_size"): maxDatabaseBytes = try Configuration.byteSize(value)
        case ("metrics", "retention"): metricsRetention = try Configuration.duration(value)
        case ("metrics", "sample_interval"):
            metricsSampleInterval = try Configuration.duration(value)
            // Raw samples are bucketed into minutes: an interval above a minute would leave minutes empty.
            guard metricsSampleInterval >= .milliseconds(100), metricsSampleInterval <= .seconds(60) else {
                throw ValueError(message: "expected between 100ms and 60s, got `\(value)`")
            }
        case ("logs", "level"):
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw ValueError(message: "expected trace|debug|info|notice|warning|error|critical, got `\(value)`")
            }
            logLevel = value
        default: throw ValueError(message: "unknown key")
        }
    }

    /// `1500ms`, `10s`, `5m`, `2h`, `30d`; a bare number is seconds (the shared `Duration.parse`).
    /// Zero (`0`, `0s`, ...) only where `allowingZero`.
    package static func duration(_ value: String, allowingZero: Bool = false) throws -> Duration {
        do { return try Duration.parse(value, allowingZero: allowingZero) } catch { throw ValueError(message: error.description) }
    }

    /// `1G`, `500M`, `64K` (powers of 1024), or bytes; `0` for none.
    package static func byteSize(_ value: String) throws -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(value)
        var multiplier = 1
        if let last = digits.last?.uppercased().first, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard let n = Int(digits), n >= 0, n <= Int.max / multiplier else {
            throw ValueError(message: "expected a size such as 1G, 500M or 0 (no cap), got `\(value)`")
        }
        return n * multiplier
    }

    package static func positiveInt(_ value: String) throws -> Int {
        guard let n = Int(value), n > 0 else { throw ValueError(message: "expected a positive integer, got `\(value)`") }
        return n
    }

    package static func path(_ value: String) throws -> String {
        guard !value.isEmpty else { throw ValueError(message: "expected a path") }
        return value
    }

    package static func listenAddress(_ value: String) throws -> ListenAddress {
        let host: Substring, port: Substring
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            host = value[value.index(after: value.startIndex)..<close]
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValueError(message: "expected [host]:port, got `\(value)`") }
            port = rest.dropFirst()
        } else {
            guard let colon = value.lastIndex(of: ":") else { throw ValueError(message: "expected host:port, got `\(value)`") }
            host = value[..<colon]
            port = value[value.index(after: colon)...]
        }
        guard let p = Int(port), (0...65_535).contains(p) else { throw ValueError(message: "bad port in `\(value)`") }
        guard !host.isEmpty else { throw ValueError(message: "missing host in `\(value)`") }
        return ListenAddress(host: String(host), port: p)
    }
}

/// A configuration problem at `file:line`.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    package init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    package var trimmedOfWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
