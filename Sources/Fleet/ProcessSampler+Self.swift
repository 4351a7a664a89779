#if canImport(Glibc)
import Glibc
#endif
import IOCore

extension ProcessSampler {
    /// The figures client libraries export as `process_*` (Prometheus' "standard and runtime collectors").
    public struct Figures: Sendable, Equatable {
        public var cpuSeconds: Double
        public var residentBytes: Int
        public var openFDs: Int
        public var maxFDs: Int
        /// Unix time the process started, in seconds.
        public var startTimeSeconds: Double
    }

    /// This process's figures, or nil where /proc cannot be read.
    public static func currentProcess() -> Figures? {
        let pid = getpid()
        guard let cpu = cpuSeconds(pid: pid), let rss = residentBytes(pid: pid), let start = startTimeSeconds(pid: pid),
              let fds = try? FileSystem.entries("/proc/self/fd") else { return nil }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // The directory listing itself holds one descriptor open while it reads.
        return Figures(cpuSeconds: cpu, residentBytes: rss, openFDs: max(0, fds.count - 1), maxFDs: Int(limit.rlim_cur),
                       startTimeSeconds: start)
    }

    /// When a process started, in Unix seconds: `/proc/PID/stat` field 22 is clock ticks after boot, and
    /// `btime` in /proc/stat is the boot time (proc(5)).
    public static func startTimeSeconds(pid: pid_t) -> Double? {
        guard let text = Self.text("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")"),
              let stat = Self.text("/proc/stat"),
              let btimeLine = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(btimeLine.dropFirst(6)) else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // Field 22 overall; field 3 is the first after the command name.
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return boot + ticks / ticksPerSecond
    }
}
