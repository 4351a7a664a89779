import Fleet
import IOCore

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
    /// `[auth] public_metrics = yes`: `GET /metrics` without a token (Prometheus scrapers). Off by default.
    public var publicMetrics = false
    /// `[auth] access_token_ttl`: how long an access token (JWT) from login or refresh lives. 15 minutes by default.
    public var accessTokenLifetime: Duration = .seconds(15 * 60)
    /// `[auth] refresh_token_ttl`: how long a refresh token lives unused. 30 days by default.
    public var refreshTokenLifetime: Duration = .seconds(30 * 86_400)
    /// Host names the HTTP API answers for (`[http] allowed_hosts`); empty: the listen address and the
    /// loopback names with the bound port.
    public var allowedHosts: [String] = []
    /// Browser origins that get CORS headers (`[http] cors_origins`); empty: none.
    public var corsOrigins: [String] = []
    /// HTTPS on the API port: a PEM certificate chain and its key (`[http] tls_certificate`, `tls_key`).
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// `[limits]`: token buckets per client address and per principal for each class of route.
    public var limits = Limits()
    /// Audit rows older than this are removed, a whole prefix at a time (`[audit] retention`).
    public var auditRetention: Duration = .seconds(365 * 86_400)

    /// A rate: `quota` requests per `window` (a burst of up to `quota`, refilled evenly).
    public struct Rate: Sendable, Equatable, CustomStringConvertible {
        public var quota: Int
        public var window: Duration
        public init(_ quota: Int, per window: Duration) {
            self.quota = quota
            self.window = window
        }
        public var description: String { "\(quota)/\(window.components.seconds)s" }
    }

    /// The `[limits]` section.
    public struct Limits: Sendable, Equatable {
        public var enabled = true
        /// Reads and every route not below.
        public var api = Rate(600, per: .seconds(60))
        /// Create, update, delete, start, stop, restart one bot; cancel a job.
        public var lifecycle = Rate(60, per: .seconds(60))
        /// Bulk jobs.
        public var bulk = Rate(10, per: .seconds(60))
        /// Clients tracked per policy and scope; past it the least recently seen is forgotten.
        public var maxTracked = 10_000
        public init() {}
    }
    /// HTTP connections served at once (`[http] max_connections`); one more is answered 503 with Retry-After.
    public var httpMaxConnections = 1024
    /// Control-socket connections served at once (`[control] max_connections`); one more gets an error line.
    public var controlMaxConnections = 64
    /// Descriptors kept free for workers, IPC, SQLite and the spool whatever the connections take
    /// (`[limits] fd_reserve`): the connection caps are lowered to fit under RLIMIT_NOFILE minus this.
    public var fileDescriptorReserve = 512
    /// Discord's invalid-request budget for this host (`[discord] invalid_request_budget`): 401, 403 and 429
    /// answers in 10 minutes, shared by every bot on the IP.
    public var invalidRequestBudget = 10_000

    /// Defaults, with systemd's `STATE_DIRECTORY`/`RUNTIME_DIRECTORY` when set, else `./botvisor-data`.
    public init(environment: [String: String] = ProcessEnvironment.current) {
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
    public static func load(path: String, environment: [String: String] = ProcessEnvironment.current) throws -> Configuration {
        try parse(try readFile(path), file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String = "<config>",
                             environment: [String: String] = ProcessEnvironment.current) throws -> Configuration {
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
        "http": ["listen", "max_connections", "allowed_hosts", "cors_origins", "tls_certificate", "tls_key", "max_event_clients"],
        "limits": ["enabled", "api", "lifecycle", "bulk", "max_tracked", "fd_reserve"],
        "audit": ["retention"],
        "paths": ["state_dir", "runtime_dir"],
        "control": ["group", "max_connections"],
        "discord": ["api_base", "invalid_request_budget"],
        "restart": ["backoff_initial", "backoff_max", "budget", "budget_window", "healthy_after",
                    "stop_timeout", "heartbeat_interval", "heartbeat_timeout"],
        "logs": ["retention", "max_db_size", "level"],
        "metrics": ["retention", "sample_interval"],
        "auth": ["public_metrics", "access_token_ttl", "refresh_token_ttl"],
    ]

    package struct ValueError: Error { var message: String
        package init(message: String) { self.message = message }
    }

    private mutating func set(section: String, key: String, value: String) throws {
        switch (section, key) {
        case ("http", "listen"): httpListen = try Configuration.listenAddress(value)
        case ("http", "allowed_hosts"): allowedHosts = Configuration.list(value)
        case ("http", "cors_origins"):
            corsOrigins = Configuration.list(value)
            for origin in corsOrigins where !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) || origin.dropFirst(8).contains("/") {
                throw ValueError(message: "expected origins such as https://grafana.example.com (scheme, host, optional port; no path), got `\(origin)`")
            }
        case ("http", "tls_certificate"): tlsCertificate = value.isEmpty ? nil : try Configuration.path(value)
        case ("http", "tls_key"): tlsKey = value.isEmpty ? nil : try Configuration.path(value)
        case ("limits", "enabled"): limits.enabled = try Configuration.yesNo(value)
        case ("limits", "api"): limits.api = try Configuration.rate(value)
        case ("limits", "lifecycle"): limits.lifecycle = try Configuration.rate(value)
        case ("limits", "bulk"): limits.bulk = try Configuration.rate(value)
        case ("limits", "max_tracked"):
            limits.maxTracked = try Configuration.positiveInt(value)
            guard limits.maxTracked <= 1_000_000 else { throw ValueError(message: "expected at most 1000000, got `\(value)`") }
        case ("audit", "retention"): auditRetention = try Configuration.duration(value)
        case ("http", "max_event_clients"): maxEventClients = try Configuration.positiveInt(value)
        case ("paths", "state_dir"): stateDirectory = try Configuration.path(value)
        case ("paths", "runtime_dir"): runtimeDirectory = try Configuration.path(value)
        case ("control", "group"): controlGroup = value.isEmpty ? nil : value
        case ("http", "max_connections"): httpMaxConnections = try Configuration.positiveInt(value)
        case ("control", "max_connections"): controlMaxConnections = try Configuration.positiveInt(value)
        case ("limits", "fd_reserve"): fileDescriptorReserve = try Configuration.positiveInt(value)
        case ("discord", "invalid_request_budget"): invalidRequestBudget = try Configuration.positiveInt(value)
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
        case ("auth", "public_metrics"):
            switch value.lowercased() {
            case "yes", "true", "on", "1": publicMetrics = true
            case "no", "false", "off", "0": publicMetrics = false
            default: throw ValueError(message: "expected yes or no, got `\(value)`")
            }
        case ("auth", "access_token_ttl"):
            accessTokenLifetime = try Configuration.duration(value)
            guard accessTokenLifetime >= .seconds(60), accessTokenLifetime <= .seconds(86_400) else {
                throw ValueError(message: "expected between 1m and 24h, got `\(value)`")
            }
        case ("auth", "refresh_token_ttl"):
            refreshTokenLifetime = try Configuration.duration(value)
            guard refreshTokenLifetime >= .seconds(300), refreshTokenLifetime <= .seconds(365 * 86_400) else {
                throw ValueError(message: "expected between 5m and 365d, got `\(value)`")
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

    /// A comma- or space-separated list; empty entries dropped.
    package static func list(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }

    package static func yesNo(_ value: String) throws -> Bool {
        switch value.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw ValueError(message: "expected yes or no, got `\(value)`")
        }
    }

    /// `600/1m`: a quota of requests per window (`10/60s`, `5/1h`).
    package static func rate(_ value: String) throws -> Rate {
        let parts = value.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let quota = Int(parts[0].trimmedOfWhitespace), quota >= 1, quota <= 1_000_000 else {
            throw ValueError(message: "expected requests/window such as 600/1m, got `\(value)`")
        }
        return Rate(quota, per: try duration(parts[1].trimmedOfWhitespace))
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
