#if canImport(Glibc)
import Glibc
#endif
import Fleet
import IOCore
import IPC
import Logging
import Store
import Synchronization

/// Samples every worker and botvisord itself into `metric_samples`, and runs the
/// background upkeep: downsampling to minute and hour averages, deleting samples
/// past their tier's keep time, and deleting command records past the log retention.
///
/// Counters (events, commands, REST calls, 429s, reconnects, resumes, identifies,
/// CPU seconds) are stored as per-second rates over the time since the previous sample,
/// which each sample keeps as its span: an average over any tier is still a rate, and
/// value × span is exactly the count. A counter that went down (a new worker) counts from zero.
public actor MetricsRecorder {
    /// Intervals and keep times; injectable so tests run in milliseconds.
    public struct Settings: Sendable {
        public var sampleInterval: Duration = .seconds(10)
        /// How often downsampling and retention run.
        public var maintenanceInterval: Duration = .seconds(60)
        public var retention = SupervisorStore.MetricRetention()
        public var logRetention: Duration = .seconds(30 * 86_400)
        /// Past this many bytes of live data the oldest command records go, whatever their age (0: no cap).
        public var maxDatabaseBytes: Int = 1 << 30
        /// The workers' socket: IPC is unhealthy when it is gone (a tmpfiles cleanup, a stray `rm`),
        /// since no new worker could connect.
        public var ipcSocketPath: String?
        public init() {}
    }

    /// The names of every metric stored per bot, and for `_system` (`MetricName.bot`, `MetricName.system`).
    public static let botMetrics = MetricName.bot.map(\.rawValue)
    public static let systemMetrics = MetricName.system.map(\.rawValue)

    /// The settings now in force (replaced by a reload through `apply`).
    public nonisolated var settings: Settings { settingsBox.withLock { $0 } }
    private nonisolated let settingsBox: Mutex<Settings>
    package let fleet: Fleet
    package let store: SupervisorStore
    /// Unix milliseconds now.
    package nonisolated let clock: @Sendable () -> Int64
    package let logger: Logger
    /// Told whenever new samples or averages are stored (the API empties its caches then).
    private nonisolated let samplesStoredListeners = Mutex<[@Sendable () async -> Void]>([])
    public nonisolated let startedAt = ContinuousClock.now

    /// What the previous sample saw, for rates.
    private struct Previous {
        package var pid: Int32?
        package var at: Int64
        package var cpuSeconds: Double?
        package var counters: [MetricName: Int]
    }
    private var previous: [String: Previous] = [:]
    /// Components the daemon reports on (`ipc`, `http`): false once one has stopped.
    private var components: [String: Bool] = [:]

    public init(fleet: Fleet, store: SupervisorStore, settings: Settings = Settings(), logger: Logger = Logger(label: "metrics"),
                clock: @escaping @Sendable () -> Int64 = MetricsRecorder.unixMillis) {
        self.fleet = fleet
        self.store = store
        self.settingsBox = Mutex(settings)
        self.logger = logger.with("task", "metrics")
        self.clock = clock
    }

    public static let unixMillis: @Sendable () -> Int64 = { WallClock.now().milliseconds }

    // MARK: Components

    public func setHealthy(_ component: String, _ healthy: Bool) { components[component] = healthy }
    /// A component never reported on counts as healthy (tests build the API without sockets).
    public func isHealthy(_ component: String) -> Bool {
        if component == "ipc", let path = settings.ipcSocketPath, access(path, F_OK) != 0 { return false }
        return components[component] ?? true
    }

    // MARK: Running

    /// Samples and maintains until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.every({ self.settings.sampleInterval }) { try await self.sample() } }
            group.addTask { await self.every({ self.settings.maintenanceInterval }) { try await self.maintain() } }
            group.addTask { await self.followEvents() }
        }
    }

    /// Reloaded settings (retention, sample interval): the next sample and upkeep use them.
    public nonisolated func apply(_ new: Settings) { settingsBox.withLock { $0 = new } }

    private nonisolated func every(_ currentInterval: @Sendable () -> Duration, _ body: @Sendable () async throws -> Void) async {
        var interval = currentInterval()
        var next = ContinuousClock.now + interval
        while !Task.isCancelled {
            do { try await Reactor.shared.sleep(until: next) } catch { return }
            do { try await body() } catch { logger.warning("metrics task failed; trying again next time", ["error": error]) }
            // Fixed-rate ticks; after a long stall, start over from now rather than catching up.
            interval = currentInterval()
            next = max(next + interval, ContinuousClock.now)
        }
    }

    /// Takes one sample of every bot and of botvisord, and stores it.
    @discardableResult
    public func sample() async throws -> [MetricSample] {
        let now = clock()
        let interval = max(1, settings.sampleInterval.milliseconds)
        var samples: [MetricSample] = []
        // Each sample stands for the time since the previous one (the interval, give or take a late tick),
        // so value × span of a rate is exactly the count.
        var span = interval
        func add(_ bot: String, _ metric: MetricName, _ value: Double?) {
            guard let value, value.isFinite else { return }
            samples.append(MetricSample(bot: bot, metric: metric.rawValue, tier: .raw, timestamp: now, value: value, spanMillis: span))
        }
        let statuses = try await fleet.statuses()
        for status in statuses {
            guard let pid = status.pid else {
                previous[status.name] = nil
                continue
            }
            let cpu = ProcessSampler.cpuSeconds(pid: pid)
            // Worker counters, keyed by the rate each becomes.
            var counters: [MetricName: Int] = [:]
            if let m = status.metrics {
                counters = [.eventsPerSecond: m.events, .commandsPerSecond: m.commands, .restCallsPerSecond: m.restCalls,
                            .rest429PerSecond: m.rest429, .reconnectsPerSecond: m.reconnects, .resumesPerSecond: m.resumes,
                            .identifiesPerSecond: m.identifies]
            }
            // A worker seen for the first time counts its counters from zero, over one interval.
            let before = previous[status.name].flatMap { $0.pid == pid ? $0 : nil }
                ?? Previous(pid: pid, at: now - interval, cpuSeconds: nil, counters: [:])
            span = max(now - before.at, 1)
            if now > before.at {
                let seconds = Double(span) / 1000
                if let cpu, let was = before.cpuSeconds { add(status.name, .cpuPercent, max(0, cpu - was) / seconds * 100) }
                for (name, value) in counters {
                    let was = before.counters[name] ?? 0
                    add(status.name, name, Double(value >= was ? value - was : value) / seconds)
                }
            }
            if before.cpuSeconds == nil, let cpu, let uptime = status.uptimeSeconds, uptime > 0 {
                // First sight of this worker: its average since it started.
                add(status.name, .cpuPercent, cpu / uptime * 100)
            }
            add(status.name, .rssBytes, (status.memoryBytes ?? ProcessSampler.residentBytes(pid: pid)).map(Double.init))
            add(status.name, .uptimeSeconds, status.uptimeSeconds)
            add(status.name, .gatewayRTTMillis, status.metrics?.gatewayRTTMillis)
            previous[status.name] = Previous(pid: pid, at: now, cpuSeconds: cpu, counters: counters)
        }
        let names = Set(statuses.map(\.name) + [SupervisorStore.systemBot])
        previous = previous.filter { names.contains($0.key) }

        let system = SupervisorStore.systemBot, me = getpid()
        let cpu = ProcessSampler.cpuSeconds(pid: me), stored = store.storedRecordCount
        let uptime = (ContinuousClock.now - startedAt).seconds
        // First sample: the ingest rate since botvisord started (its CPU needs a second sample).
        let before = previous[system] ?? Previous(pid: me, at: now - Int64(uptime * 1000), cpuSeconds: nil, counters: [:])
        span = max(now - before.at, 1)
        if now > before.at {
            let seconds = Double(span) / 1000
            if let cpu, let was = before.cpuSeconds { add(system, .cpuPercent, max(0, cpu - was) / seconds * 100) }
            add(system, .ingestPerSecond, Double(max(0, stored - (before.counters[.ingestPerSecond] ?? 0))) / seconds)
        }
        add(system, .rssBytes, ProcessSampler.residentBytes(pid: me).map(Double.init))
        add(system, .uptimeSeconds, uptime)
        add(system, .dbBytes, Double(store.databaseBytes))
        previous[system] = Previous(pid: me, at: now, cpuSeconds: cpu, counters: [.ingestPerSecond: stored])

        try await store.store(samples: samples)
        fleet.events.publish(.metricsSampled(samples: samples.count))
        return samples
    }

    /// Downsampling, then retention of samples and of command records.
    public func maintain() async throws {
        let now = clock()
        // A raw sample may be stored up to one interval after it was taken.
        let grace = settings.sampleInterval.milliseconds + 5_000
        let averaged = try await store.downsample(now: now, grace: grace)
        let samples = try await store.deleteExpiredSamples(now: now, retention: settings.retention)
        let logs = try await store.deleteCommandLogs(before: (now - settings.logRetention.milliseconds) * 1000)
        let trimmed = settings.maxDatabaseBytes > 0 ? try await store.trimCommandLogs(toBytes: settings.maxDatabaseBytes) : 0
        if trimmed > 0 {
            logger.warning("database over [logs] max_db_size: oldest command records deleted",
                           ["deleted": trimmed, "max_db_size": settings.maxDatabaseBytes])
        }
        // Give the pages those deletes freed back to the file system (auto_vacuum = INCREMENTAL).
        let freed = try await store.releaseFreePages()
        if averaged + samples + logs + freed > 0 {
            logger.debug("metrics upkeep", ["averages": averaged, "samples_deleted": samples, "logs_deleted": logs, "pages_freed": freed])
        }
        if averaged > 0 { fleet.events.publish(.metricsSampled(samples: averaged)) }
    }

    /// Calls `listener` after each batch of samples or averages is stored, and whenever a bot changes state,
    /// is added or removed (what health and the metrics summary show): the API empties its caches then.
    /// Driven by the fleet's event stream while `run` runs.
    public nonisolated func onSamplesStored(_ listener: @escaping @Sendable () async -> Void) {
        samplesStoredListeners.withLock { $0.append(listener) }
    }

    /// Follows the fleet's events and tells the listeners about those that change health or metrics;
    /// after a lag it tells them too (something may have changed).
    func followEvents() async {
        let subscription = fleet.events.subscribe(bufferSize: 64)
        for await element in subscription {
            switch element {
            case .event(.metricsSampled), .event(.botStateChanged), .event(.botAdded), .event(.botRemoved), .lagged:
                for listener in samplesStoredListeners.withLock({ $0 }) { await listener() }
            case .event:
                continue
            }
        }
    }
}
