#if canImport(Glibc)
import Glibc
#endif
import IOCore

/// Reads a process's resource use from /proc, with no cooperation from the process.
public enum ProcessSampler {
    package static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    package static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Resident set size in bytes (`/proc/PID/statm`, second field, in pages).
    public static func residentBytes(pid: pid_t) -> Int? {
        guard let text = Self.text("/proc/\(pid)/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }

    /// User plus system CPU time in seconds (`/proc/PID/stat` fields 14 and 15).
    public static func cpuSeconds(pid: pid_t) -> Double? {
        guard let text = Self.text("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// A small /proc file as text, or nil when it cannot be read (the process is gone).
    package static func text(_ path: String) -> String? {
        (try? readFile(path, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
    }
}
