#if canImport(Glibc)
import Glibc
#endif
import Fleet
import Storage

/// One stored figure: a bot's (or `_system`'s) metric at a time, in a tier.
public struct MetricSample: Sendable, Equatable {
    public var bot: String
    public var metric: String
    public var tier: MetricTier
    /// Unix milliseconds: when a raw sample was taken, where an average's bucket starts.
    public var timestamp: Int64
    public var value: Double
    /// How much time the value stands for, in milliseconds: for a raw sample the time since the
    /// previous one, for an average the raw samples' spans added up (less than the bucket when the
    /// bot ran for part of it). Averages weigh by it, and value × span of a per-second rate is a count.
    public var spanMillis: Int64

    public init(bot: String, metric: String, tier: MetricTier, timestamp: Int64, value: Double, spanMillis: Int64) {
        self.bot = bot
        self.metric = metric
        self.tier = tier
        self.timestamp = timestamp
        self.value = value
        self.spanMillis = spanMillis
    }
}

/// The tiers samples are kept in, stored as `resolution`: 0 for raw samples (taken every
/// `[metrics] sample_interval`), else the bucket width of the averages in milliseconds.
public enum MetricTier: Int64, Sendable, CaseIterable {
    case raw = 0
    case minute = 60_000
    case hour = 3_600_000

    public static let minuteMillis: Int64 = 60_000
    public static let hourMillis: Int64 = 3_600_000
}

extension SupervisorStore {
    /// The pseudo-bot under which the supervisor's own figures are stored.
    public static let systemBot = "_system"

    /// Migration 4. The primary key serves series reads (one bot's metric over time);
    /// the time index serves downsampling and retention.
    package static let metricsSchema = """
        CREATE TABLE metric_samples (
            bot TEXT NOT NULL,
            metric TEXT NOT NULL,
            resolution INTEGER NOT NULL,  -- 0: raw sample; 60000, 3600000: average over that bucket (ms)
            ts INTEGER NOT NULL,          -- Unix ms
            value REAL NOT NULL,
            span INTEGER NOT NULL,        -- ms the value stands for
            PRIMARY KEY (bot, metric, resolution, ts)
        ) WITHOUT ROWID;
        CREATE INDEX metric_samples_time ON metric_samples (resolution, ts);
        -- One row, rewritten by the health check: proof the database takes writes.
        CREATE TABLE health_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            checked_at INTEGER NOT NULL
        );
        """

    /// Stores samples in one transaction; a sample for a key seen before replaces it.
    public func store(samples: [MetricSample]) async throws {
        guard !samples.isEmpty else { return }
        try await queue.write { db in
            let stmt = try db.cachedStatement("INSERT OR REPLACE INTO metric_samples (bot, metric, resolution, ts, value, span) VALUES (?, ?, ?, ?, ?, ?)")
            for s in samples { try stmt.execute([s.bot, s.metric, s.tier.rawValue, s.timestamp, s.value, s.spanMillis]) }
        }
    }

    /// One bot's metric in `[from, to]` (Unix ms) from one tier, oldest first.
    public func series(bot: String, metric: String, tier: MetricTier, from: Int64, to: Int64) async throws -> [MetricSample] {
        try await queue.read { db in
            try db.query("""
                SELECT ts, value, span FROM metric_samples
                WHERE bot = ? AND metric = ? AND resolution = ? AND ts >= ? AND ts <= ? ORDER BY ts
                """, [bot, metric, tier.rawValue, from, to]).map {
                MetricSample(bot: bot, metric: metric, tier: tier, timestamp: try $0.decode(0), value: try $0.decode(1), spanMillis: try $0.decode(2))
            }
        }
    }

    /// Per bot and metric over one tier's samples since `since` (Unix ms): the time-weighted mean,
    /// and the total (value × span, which turns a per-second rate into a count).
    public func aggregates(since: Int64, tier: MetricTier = .raw) async throws -> [String: [String: MetricAggregate]] {
        let rows = try await queue.read { db in
            try db.query("""
                SELECT bot, metric, sum(value * span) / sum(span), sum(value * span) / 1000.0 FROM metric_samples
                WHERE resolution = ? AND ts >= ? GROUP BY bot, metric
                """, [tier.rawValue, since])
        }
        var out: [String: [String: MetricAggregate]] = [:]
        for row in rows {
            out[try row.decode(0, as: String.self), default: [:]][try row.decode(1, as: String.self)] =
                MetricAggregate(mean: try row.decode(2), total: try row.decode(3))
        }
        return out
    }

    /// Replaces the minute and hour averages of every complete bucket that has raw samples
    /// and no average yet, up to `now` less `grace` (a sample may still be on its way).
    /// Both tiers average the raw samples, so an hour is the true mean, not a mean of means; each
    /// sample weighs as much as the time it stands for (its span).
    /// Reads at most `batchMillis` of raw samples (at least one bucket) per transaction, so the
    /// writer is never held long, even after a long pause.
    @discardableResult
    public func downsample(now: Int64, grace: Int64 = 15_000, batchMillis: Int64 = 3_600_000) async throws -> Int {
        var written = 0
        for tier in [MetricTier.minute, .hour] {
            let width = tier.rawValue
            let end = (now - grace) / width * width
            while true {
                let done: Int? = try await queue.write { db -> Int? in
                    // Where this tier stopped last time, else where the raw samples begin.
                    let last = try db.first("SELECT max(ts) FROM metric_samples WHERE resolution = ?", [width])?.decode(0, as: Int64?.self)
                    let firstRaw = try db.first("SELECT min(ts) FROM metric_samples WHERE resolution = 0 AND ts >= ?",
                                                [last.map { $0 + width } ?? 0])?.decode(0, as: Int64?.self)
                    guard let firstRaw else { return nil }
                    let start = firstRaw / width * width
                    guard start < end else { return nil }
                    let stop = min(end, start + max(width, batchMillis / width * width))
                    try db.execute("""
                        INSERT OR REPLACE INTO metric_samples (bot, metric, resolution, ts, value, span)
                        SELECT bot, metric, ?, ts / ? * ?, sum(value * span) / sum(span), sum(span) FROM metric_samples
                        WHERE resolution = 0 AND ts >= ? AND ts < ? GROUP BY bot, metric, ts / ?
                        """, [width, width, width, start, stop, width])
                    return db.changes
                }
                guard let done else { break }
                written += done
            }
        }
        return written
    }

    /// How long each tier is kept.
    public struct MetricRetention: Sendable {
        public var raw: Duration = .seconds(86_400)
        public var minute: Duration = .seconds(7 * 86_400)
        /// Every sample, hour averages included.
        public var all: Duration = .seconds(90 * 86_400)
        public init(all: Duration = .seconds(90 * 86_400)) { self.all = all }
    }

    /// Deletes samples past their tier's keep time, `batch` rows per transaction. Raw samples
    /// not yet averaged into an hour are kept (unless past `retention.all`), so a daemon that
    /// was down never loses what it has not summarized. Returns the rows deleted.
    @discardableResult
    public func deleteExpiredSamples(now: Int64, retention: MetricRetention, batch: Int = 1000) async throws -> Int {
        let all = now - retention.all.milliseconds
        let averagedUntil = try await queue.read { db in
            try db.first("SELECT max(ts) FROM metric_samples WHERE resolution = ?", [MetricTier.hourMillis])?.decode(0, as: Int64?.self)
        }.map { $0 + MetricTier.hourMillis } ?? Int64.min
        let cutoffs: [(MetricTier, Int64)] = [
            (.raw, max(min(now - retention.raw.milliseconds, averagedUntil), all)),
            (.minute, max(now - retention.minute.milliseconds, all)),
            (.hour, all),
        ]
        var deleted = 0
        for (tier, cutoff) in cutoffs {
            while true {
                let n = try await queue.write { db in
                    try db.execute("""
                        DELETE FROM metric_samples WHERE (bot, metric, resolution, ts) IN (
                            SELECT bot, metric, resolution, ts FROM metric_samples WHERE resolution = ? AND ts < ? LIMIT ?)
                        """, [tier.rawValue, cutoff, batch])
                    return db.changes
                }
                deleted += n
                if n < batch { break }
            }
        }
        return deleted
    }

    /// Deletes command records that started before `before` (Unix microseconds), `batch`
    /// per transaction (each also updates the full-text index), so command records from
    /// workers are never kept waiting behind one long delete. Returns the rows deleted.
    @discardableResult
    public func deleteCommandLogs(before: Int64, batch: Int = 500) async throws -> Int {
        var deleted = 0
        while true {
            let n = try await queue.write { db in
                try db.execute("DELETE FROM command_logs WHERE rowid IN (SELECT rowid FROM command_logs WHERE started_at < ? LIMIT ?)",
                               [before, batch])
                let deleted = db.changes
                try SupervisorStore.forgetDeletedBlocks(db: db)
                return deleted
            }
            deleted += n
            if n < batch { return deleted }
        }
    }

    /// Whether the database takes a write: one row rewritten in its own transaction,
    /// waiting at most `timeout` for another connection's lock.
    public func probeWritable(now: Int64, timeout: Duration = .milliseconds(500)) async -> Result<Void, DatabaseError> {
        do {
            try await queue.writeWithoutTransaction { db in
                let previous = db.busyTimeout
                db.busyTimeout = timeout
                defer { db.busyTimeout = previous }
                try db.transaction(.immediate) { db in
                    try db.execute("INSERT OR REPLACE INTO health_probe (id, checked_at) VALUES (1, ?)", [now])
                }
            }
            return .success(())
        } catch let error as DatabaseError {
            return .failure(error)
        } catch {
            return .failure(DatabaseError(.error, message: "\(error)"))
        }
    }

    /// The database file and its write-ahead log, in bytes.
    public var databaseBytes: Int {
        [queue.path, queue.path + "-wal"].reduce(0) { total, path in
            var info = stat()
            return total + (stat(path, &info) == 0 ? Int(info.st_size) : 0)
        }
    }

    /// Command records stored since start (the ingest rate is its rate of change).
    public var storedRecordCount: Int { storedRecords.count }
}

/// A metric summarized over a window.
public struct MetricAggregate: Sendable, Equatable {
    public var mean: Double
    /// The sum of value × seconds: for a per-second rate, the count in the window.
    public var total: Double
    package init(mean: Double, total: Double) {
        self.mean = mean
        self.total = total
    }
}
