import Fleet
import Storage

/// Per-command and per-bot figures over a window: count, error rate and duration percentiles.
public struct LogStats: Encodable, Sendable {
    public struct Group: Encodable, Sendable {
        public var count: Int
        public var errors: Int
        public var error_rate: Double
        public var p50_ms: Double
        public var p95_ms: Double
        public var p99_ms: Double
        package init(count: Int, errors: Int, error_rate: Double, p50_ms: Double, p95_ms: Double, p99_ms: Double) {
            self.count = count
            self.errors = errors
            self.error_rate = error_rate
            self.p50_ms = p50_ms
            self.p95_ms = p95_ms
            self.p99_ms = p99_ms
        }
    }
    public var window_seconds: Int
    public var bots: [String: Group]
    public var commands: [String: Group]

    /// Nearest-rank percentiles over sorted durations (microseconds in, milliseconds out).
    package static func group(_ durations: [Int64], errors: Int) -> Group {
        let sorted = durations.sorted()
        func p(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
            return Double(sorted[rank - 1]) / 1000
        }
        return Group(count: sorted.count, errors: errors, error_rate: sorted.isEmpty ? 0 : Double(errors) / Double(sorted.count),
                     p50_ms: p(0.5), p95_ms: p(0.95), p99_ms: p(0.99))
    }
    package init(window_seconds: Int, bots: [String: Group], commands: [String: Group]) {
        self.window_seconds = window_seconds
        self.bots = bots
        self.commands = commands
    }
}
