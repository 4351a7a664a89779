#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// One line a worker wrote to its stdout or stderr, as the daemon forwarded it.
public struct WorkerOutputLine: Codable, Sendable, Equatable {
    /// Increases by one per line of the bot, across its workers: the `logs -f` cursor.
    public var seq: UInt64
    /// When the daemon read it, milliseconds since the Unix epoch.
    public var timeMillis: Int64
    /// The worker's own level when the line carries one (`error`, `critical`, ...).
    public var level: String?
    /// The line without the worker's timestamp and level (the daemon adds its own).
    public var text: String

    public init(seq: UInt64, timeMillis: Int64, level: String?, text: String) {
        self.seq = seq
        self.timeMillis = timeMillis
        self.level = level
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case seq, level, text
        case timeMillis = "time_ms"
    }

    /// Splits a worker's log line, `[<N>]2026-12-03T23:41:06.123Z error botvisor-worker k=v message`, into
    /// its level and the rest; a line in no such shape (a crash message, a script's echo) has no level.
    public static func parse(_ line: String) -> (level: LogLevel?, text: Substring) {
        var rest = Substring(line)
        // sd-daemon(3) prefix, written when a worker's stderr is the journal.
        if rest.hasPrefix("<"), let close = rest.firstIndex(of: ">"), rest.distance(from: rest.startIndex, to: close) <= 2 {
            rest = rest[rest.index(after: close)...]
        }
        // An ISO 8601 UTC timestamp as Logger writes it.
        if let first = rest.first, first.isNumber, let space = rest.firstIndex(of: " "),
           rest[..<space].hasSuffix("Z"), rest[..<space].contains("T") {
            rest = rest[rest.index(after: space)...]
        }
        guard let space = rest.firstIndex(of: " "), let level = LogLevel(name: String(rest[..<space])) else {
            return (nil, Substring(line))
        }
        return (level, rest[rest.index(after: space)...])
    }
}

/// The last lines of every bot's worker output, kept in memory for `botvisorctl logs` (the journal has
/// them all). Bounded per bot: a ring of `capacity` lines, the oldest dropped first.
public final class WorkerOutputLogs: Sendable {
    public static let defaultCapacity = 1000

    private struct Ring {
        var lines: [WorkerOutputLine] = []
        var start = 0
        var nextSeq: UInt64 = 1
    }
    private let rings = Mutex<[String: Ring]>([:])
    public let capacity: Int

    public init(capacity: Int = WorkerOutputLogs.defaultCapacity) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Keeps one line of `bot`'s output; returns its sequence number.
    @discardableResult
    public func append(bot: String, level: LogLevel?, text: String) -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let millis = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        let capacity = self.capacity
        return rings.withLock { rings in
            var ring = rings[bot] ?? Ring()
            let line = WorkerOutputLine(seq: ring.nextSeq, timeMillis: millis, level: level?.description, text: text)
            ring.nextSeq += 1
            if ring.lines.count < capacity {
                ring.lines.append(line)
            } else {
                ring.lines[ring.start] = line
                ring.start = (ring.start + 1) % capacity
            }
            rings[bot] = ring
            return line.seq
        }
    }

    /// `bot`'s lines in order: without `seq` the last `limit` kept; after `seq`, the first `limit` newer
    /// ones, so a follower asking again from the last one it got skips nothing the ring still holds.
    public func lines(bot: String, after seq: UInt64?, limit: Int) -> [WorkerOutputLine] {
        rings.withLock { rings in
            guard let ring = rings[bot] else { return [] }
            let ordered = Array(ring.lines[ring.start...] + ring.lines[..<ring.start])
            guard let seq else { return Array(ordered.suffix(max(0, limit))) }
            return Array(ordered.filter { $0.seq > seq }.prefix(max(0, limit)))
        }
    }

    /// The sequence number of `bot`'s newest line (0 before any).
    public func lastSeq(bot: String) -> UInt64 {
        rings.withLock { ($0[bot]?.nextSeq ?? 1) - 1 }
    }

    /// Forgets a removed bot's lines.
    public func remove(bot: String) {
        _ = rings.withLock { $0.removeValue(forKey: bot) }
    }
}
