#if canImport(Glibc)
import Glibc
#endif

/// The one wall clock: "now" as Unix time, for log lines, the HTTP `Date` header, command records, jobs and
/// metric samples. Each reader picks its unit (`milliseconds`, `microseconds`) from the same reading; the units
/// stored in tables and sent on the wire are those callers' business. Durations and deadlines use
/// `ContinuousClock`, never this.
public enum WallClock {
    /// A wall-clock reading: seconds and nanoseconds since the Unix epoch, UTC.
    public struct Time: Sendable, Hashable, Comparable {
        public var seconds: Int
        public var nanoseconds: Int

        public init(seconds: Int, nanoseconds: Int) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        /// Unix milliseconds (jobs, metric samples, the API's `from`/`to`).
        public var milliseconds: Int64 { Int64(seconds) * 1000 + Int64(nanoseconds / 1_000_000) }
        /// Unix microseconds (command records).
        public var microseconds: Int64 { Int64(seconds) * 1_000_000 + Int64(nanoseconds / 1000) }

        public static func < (a: Time, b: Time) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

        /// `2026-11-27T00:30:12.123Z`
        public var iso8601: String {
            var t = time_t(seconds)
            var tmv = tm()
            gmtime_r(&t, &tmv)
            func pad(_ v: Int32, _ width: Int) -> String {
                let s = String(v)
                return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
            }
            return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T"
                + "\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2)).\(pad(Int32(nanoseconds / 1_000_000), 3))Z"
        }
    }

    public static func now() -> Time {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Time(seconds: ts.tv_sec, nanoseconds: ts.tv_nsec)
    }
}
