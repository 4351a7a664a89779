#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A log level, ordered by severity, with its syslog priority for journald.
public enum LogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case trace, debug, info, notice, warning, error, critical

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    /// sd-daemon(3) priority: `<3>` error ... `<7>` debug.
    public var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }
}

/// Where formatted log lines go. The default writes to stderr.
public protocol LogSink: Sendable {
    func write(line: String)
}

/// Writes each line to a file descriptor with one `write(2)`, so lines from
/// many threads never interleave.
public struct FileDescriptorSink: LogSink {
    public let fd: Int32
    public init(fd: Int32 = 2) { self.fd = fd }
    public func write(line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

/// Collects lines in memory; for tests.
public final class MemorySink: LogSink {
    private let storage = Mutex<[String]>([])
    public init() {}
    public func write(line: String) { storage.withLock { $0.append(line) } }
    public var lines: [String] { storage.withLock { $0 } }
}

/// Process-wide logging settings, set once at start.
public enum LoggingSystem {
    struct Settings: Sendable {
        var sink: any LogSink = FileDescriptorSink()
        var level: LogLevel = .info
        var journald: Bool = LoggingSystem.stderrIsJournal()
    }
    static let settings = Mutex(Settings())

    /// Replaces the sink, the minimum level and whether journald prefixes are written.
    public static func bootstrap(sink: any LogSink = FileDescriptorSink(), level: LogLevel = .info, journald: Bool? = nil) {
        settings.withLock {
            $0.sink = sink
            $0.level = level
            $0.journald = journald ?? LoggingSystem.stderrIsJournal()
        }
    }

    /// Whether stderr is journald's stream: `JOURNAL_STREAM` is `DEVICE:INODE` of the stream systemd
    /// connected, and it is inherited by every child, so it is trusted only while fd 2 is still that
    /// stream (systemd.exec(5), "$JOURNAL_STREAM"; a process whose stderr was redirected must not write
    /// `<N>` prefixes into a file or a pipe).
    public static func stderrIsJournal(_ value: String? = getenv("JOURNAL_STREAM").map { String(cString: $0) }, fd: Int32 = 2) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }
}

/// A structured logger value: one line per event,
/// `time level label key=value ... message`, tagged by label and metadata.
/// Secrets must never be passed to it.
public struct Logger: Sendable {
    public var label: String
    public var metadata: [(String, String)]

    public init(label: String, metadata: [(String, String)] = []) {
        self.label = label
        self.metadata = metadata
    }

    /// A copy tagged with one more key (a bot name, a connection id, a request id).
    public func with(_ key: String, _ value: some CustomStringConvertible) -> Logger {
        var copy = self
        copy.metadata.append((key, value.description))
        return copy
    }

    public func trace(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.trace, message(), fields) }
    public func debug(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.debug, message(), fields) }
    public func info(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.info, message(), fields) }
    public func notice(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.notice, message(), fields) }
    public func warning(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.warning, message(), fields) }
    public func error(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.error, message(), fields) }
    public func critical(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.critical, message(), fields) }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, Any> = [:]) {
        let settings = LoggingSystem.settings.withLock { $0 }
        guard level >= settings.level else { return }
        var pairs = metadata
        for (key, value) in fields { pairs.append((key, String(describing: value))) }
        let line = Logger.format(time: WallClock.now(), level: level, label: label, pairs: pairs,
                                 message: message(), journald: settings.journald)
        settings.sink.write(line: line)
    }

    /// Formats one line. Values with spaces, quotes or `=` are quoted so the
    /// line stays machine-splittable. For journald the line starts with the
    /// sd-daemon(3) priority and has no timestamp: the journal stamps each entry.
    public static func format(time: WallClock.Time, level: LogLevel, label: String, pairs: [(String, String)],
                              message: String, journald: Bool) -> String {
        var line: String
        if journald {
            line = "<\(level.syslogPriority)>"
        } else {
            line = time.iso8601
            line += " "
        }
        line += level.description
        line += " "
        line += label
        for (key, value) in pairs {
            line += " "
            line += key
            line += "="
            line += quoteIfNeeded(value)
        }
        if !message.isEmpty {
            line += " "
            line += message.replacingNewlines()
        }
        line += "\n"
        return line
    }

    static func quoteIfNeeded(_ value: String) -> String {
        let needs = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
        guard needs else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        guard contains(where: \.isNewline) else { return self }
        return String(map { $0.isNewline ? " " : $0 })
    }
}
